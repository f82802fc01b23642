import type { Config } from '../config/index.js';
import { Ml2Plugin } from '../plugins/ml2/plugin.js';
import type { Plugin } from '../plugins/plugin.js';
import { L3RouterPlugin } from '../services/l3/plugin.js';
import { NetworkIpAvailabilityPlugin } from '../services/network-ip-availability.js';
import { QosPlugin } from '../services/qos/plugin.js';
import { TagPlugin } from '../services/tag/plugin.js';
import { NetworkSegmentRangePlugin } from '../services/network-segment-range/plugin.js';
import { SegmentsPlugin } from '../services/segments/plugin.js';
import { TrunkPlugin } from '../services/trunk/plugin.js';
import { PortForwardingPlugin } from '../services/portforwarding/plugin.js';
import { MeteringPlugin } from '../services/metering/plugin.js';
import { ConntrackHelperPlugin } from '../services/conntrack-helper/plugin.js';
import { AutoAllocatePlugin } from '../services/auto-allocate/plugin.js';
import { FlavorsPlugin } from '../services/flavors/plugin.js';
import { LocalIpPlugin } from '../services/local-ip/plugin.js';
import { LoggingPlugin } from '../services/logging/plugin.js';
import { NdpProxyPlugin } from '../services/ndp-proxy/plugin.js';

/** Names operators use for the core plugin: the alias and Neutron's class path. */
const CORE_PLUGINS: Record<string, (config: Config) => Plugin> = {
  ml2: (config) => new Ml2Plugin(config),
  'neutron.plugins.ml2.plugin.Ml2Plugin': (config) => new Ml2Plugin(config),
};

/** Service plugins by alias, with Neutron's class paths as synonyms. */
const SERVICE_PLUGINS: Record<string, { classPath: string; make?: () => Plugin }> = {
  router: { classPath: 'neutron.services.l3_router.l3_router_plugin.L3RouterPlugin', make: () => new L3RouterPlugin() },
  qos: { classPath: 'neutron.services.qos.qos_plugin.QoSPlugin' },
  trunk: { classPath: 'neutron.services.trunk.plugin.TrunkPlugin' },
  segments: { classPath: 'neutron.services.segments.plugin.Plugin' },
  port_forwarding: { classPath: 'neutron.services.portforwarding.pf_plugin.PortForwardingPlugin' },
  tag: { classPath: 'neutron.services.tag.tag_plugin.TagPlugin', make: () => new TagPlugin() },
  network_ip_availability: {
    classPath: 'neutron.services.network_ip_availability.plugin.NetworkIPAvailabilityPlugin',
    make: () => new NetworkIpAvailabilityPlugin(),
  },
  auto_allocate: { classPath: 'neutron.services.auto_allocate.plugin.Plugin' },
  timestamp: { classPath: 'neutron.services.timestamp.timestamp_plugin.TimeStampPlugin' },
  revisions: { classPath: 'neutron.services.revisions.revision_plugin.RevisionPlugin' },
  flavors: { classPath: 'neutron.services.flavors.flavors_plugin.FlavorsPlugin' },
  network_segment_range: { classPath: 'neutron.services.network_segment_range.plugin.NetworkSegmentRangePlugin' },
  metering: { classPath: 'neutron.services.metering.metering_plugin.MeteringPlugin' },
  log: { classPath: 'neutron.services.logapi.logging_plugin.LoggingPlugin' },
  placement: { classPath: 'neutron.services.placement_report.plugin.PlacementReportPlugin' },
  conntrack_helper: { classPath: 'neutron.services.conntrack_helper.plugin.Plugin' },
  ovn_l3: { classPath: 'neutron.services.ovn_l3.plugin.OVNL3RouterPlugin' },
  local_ip: { classPath: 'neutron.services.local_ip.local_ip_plugin.LocalIPPlugin' },
  ndp_proxy: { classPath: 'neutron.services.ndp_proxy.plugin.NDPProxyPlugin' },
};

/** Plugins Neutron loads whatever service_plugins says. */
const DEFAULT_SERVICE_PLUGINS = ['tag', 'timestamp', 'revisions', 'network_ip_availability', 'auto_allocate', 'flavors'];

export class PluginLoadError extends Error {}

/** Registers an implemented service plugin (each one's module calls this). */
export function registerServicePlugin(alias: string, make: () => Plugin): void {
  const entry = SERVICE_PLUGINS[alias];
  if (!entry) throw new Error(`unknown service plugin alias ${alias}`);
  entry.make = make;
}

export interface LoadedPlugins {
  core: Plugin;
  services: Plugin[];
  /** configured plugins that neutron-ts does not implement yet */
  unavailable: string[];
}

/** Resolves `core_plugin` and `service_plugins` (aliases or Neutron class paths). */
export function loadPlugins(config: Config): LoadedPlugins {
  const coreName = config.DEFAULT.core_plugin ?? 'ml2';
  const makeCore = CORE_PLUGINS[coreName];
  if (!makeCore) throw new PluginLoadError(`core_plugin '${coreName}' is not available: neutron-ts provides ml2`);
  const services: Plugin[] = [];
  const unavailable: string[] = [];
  const seen = new Set<string>();
  for (const name of [...config.DEFAULT.service_plugins, ...DEFAULT_SERVICE_PLUGINS]) {
    const alias = Object.entries(SERVICE_PLUGINS).find(([a, e]) => a === name || e.classPath === name)?.[0];
    if (!alias) throw new PluginLoadError(`service_plugins: unknown plugin '${name}'`);
    if (seen.has(alias)) continue;
    seen.add(alias);
    const make = SERVICE_PLUGINS[alias]!.make;
    if (make) services.push(make());
    else if (config.DEFAULT.service_plugins.includes(name)) unavailable.push(alias);
  }
  return { core: makeCore(config), services, unavailable };
}

registerServicePlugin('qos', () => new QosPlugin());
registerServicePlugin('trunk', () => new TrunkPlugin());
registerServicePlugin('segments', () => new SegmentsPlugin());
registerServicePlugin('network_segment_range', () => new NetworkSegmentRangePlugin());
registerServicePlugin('port_forwarding', () => new PortForwardingPlugin());
registerServicePlugin('metering', () => new MeteringPlugin());
registerServicePlugin('conntrack_helper', () => new ConntrackHelperPlugin());
registerServicePlugin('auto_allocate', () => new AutoAllocatePlugin());
registerServicePlugin('flavors', () => new FlavorsPlugin());
registerServicePlugin('local_ip', () => new LocalIpPlugin());
registerServicePlugin('log', () => new LoggingPlugin());
registerServicePlugin('ndp_proxy', () => new NdpProxyPlugin());
