import type { Config } from '../../config/index.js';
import type { ResourceHandler } from '../../registry/handler.js';
import type { Ml2Plugin } from '../../plugins/ml2/plugin.js';
import type { Plugin, PluginContext } from '../../plugins/plugin.js';
import { parsePhysnetRanges, parseRange } from '../../plugins/ml2/type_drivers/driver.js';
import { createNetworkSegmentRangeResource, syncDefaultRanges, tenantRanges, type DefaultRange } from './ranges.js';

/** The default ranges of the loaded type drivers, from the ML2 config. */
function configuredRanges(config: Config, loaded: ReadonlySet<string>): DefaultRange[] {
  const out: DefaultRange[] = [];
  if (loaded.has('vlan')) {
    for (const [physnet, ranges] of parsePhysnetRanges(config.ml2_type_vlan.network_vlan_ranges, 'network_vlan_ranges')) {
      for (const r of ranges) out.push({ network_type: 'vlan', physical_network: physnet, minimum: r.min, maximum: r.max });
    }
  }
  const tunnels: Array<[string, string[], string]> = [
    ['vxlan', config.ml2_type_vxlan.vni_ranges, 'vni_ranges'], ['geneve', config.ml2_type_geneve.vni_ranges, 'vni_ranges'],
    ['gre', config.ml2_type_gre.tunnel_id_ranges, 'tunnel_id_ranges'],
  ];
  for (const [type, entries, what] of tunnels) {
    if (!loaded.has(type)) continue;
    for (const e of entries) {
      const r = parseRange(e, what);
      out.push({ network_type: type, physical_network: null, minimum: r.min, maximum: r.max });
    }
  }
  return out;
}

/**
 * Neutron's `network_segment_range` service plugin: /v2.0/network_segment_ranges (admin), the
 * default ranges made from the ML2 config, and the type drivers allocating a project's tenant
 * networks from its own ranges first, then from the shared ones.
 */
export class NetworkSegmentRangePlugin implements Plugin {
  readonly name = 'network_segment_range';
  readonly supportedExtensionAliases = ['network-segment-range'];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { db, events, api, config } = ctx;
    const ml2 = ctx.plugins.get('ml2') as Ml2Plugin | undefined;
    if (!ml2?.types) throw new Error('the network_segment_range service plugin needs the ml2 core plugin');
    const types = ml2.types;
    const defaults = configuredRanges(config, new Set(types.drivers.keys()));
    await db.write((tx) => syncDefaultRanges(tx, defaults));
    types.tenantRanges = tenantRanges;
    return { network_segment_ranges: createNetworkSegmentRangeResource({ db, events, api }, types) };
  }
}
