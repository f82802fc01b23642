import { UNSET } from '../../lib/attributes.js';
import type { Item } from '../../lib/definitions.js';
import { HTTPBadRequest, InvalidInput, NoNetworkAvailable } from '../../lib/errors.js';
import type { Tx } from '../../db/schema.js';
import { invalid, parsePhysnetRanges, parseRange, type Segment, type SegmentRange, type TypeDriver } from './type_drivers/driver.js';
import { FlatTypeDriver } from './type_drivers/flat.js';
import { GeneveTypeDriver } from './type_drivers/geneve.js';
import { GreTypeDriver } from './type_drivers/gre.js';
import { LocalTypeDriver } from './type_drivers/local.js';
import { VlanTypeDriver } from './type_drivers/vlan.js';
import { VxlanTypeDriver } from './type_drivers/vxlan.js';

/** The ML2 options the type drivers read, with Neutron's names. */
export interface TypeOptions {
  type_drivers: string[];
  tenant_network_types: string[];
  flat_networks: string[];
  network_vlan_ranges: string[];
  vxlan_vni_ranges: string[];
  geneve_vni_ranges: string[];
  geneve_max_header_size: number;
  gre_tunnel_id_ranges: string[];
  global_physnet_mtu: number;
  path_mtu: number;
  physical_network_mtus: string[];
  overlay_ip_version: 4 | 6;
}

const PROVIDER_KEYS = ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'] as const;

/**
 * The ranges a project's tenant networks of a type are allocated from, in order, when network
 * segment ranges are managed (the network_segment_range plugin); undefined: the configured ones.
 */
export type TenantRanges = (tx: Tx, networkType: string, projectId: string | null) => Promise<SegmentRange[] | undefined>;

/** ML2's TypeManager: the loaded type drivers, provider-segment processing, tenant allocation, MTU. */
export class TypeManager {
  readonly drivers = new Map<string, TypeDriver>();
  private readonly tenantTypes: string[];
  private readonly globalMtu: number;
  /** set by the network_segment_range plugin */
  tenantRanges?: TenantRanges;

  constructor(o: TypeOptions) {
    const physnetMtus = new Map<string, number>();
    for (const e of o.physical_network_mtus) {
      const [name, mtu] = e.split(':');
      if (name && mtu) physnetMtus.set(name.trim(), Number(mtu));
    }
    const tunnelMtu = { globalPhysnetMtu: o.global_physnet_mtu, pathMtu: o.path_mtu, overlayIpVersion: o.overlay_ip_version };
    const factories: Record<string, () => TypeDriver> = {
      local: () => new LocalTypeDriver(),
      flat: () => new FlatTypeDriver(o.flat_networks, physnetMtus),
      vlan: () => new VlanTypeDriver(parsePhysnetRanges(o.network_vlan_ranges, 'network_vlan_ranges'), physnetMtus),
      vxlan: () => new VxlanTypeDriver(o.vxlan_vni_ranges.map((r) => parseRange(r, 'vni_ranges', { min: 1, max: 2 ** 24 - 1 })), tunnelMtu),
      geneve: () => new GeneveTypeDriver(o.geneve_vni_ranges.map((r) => parseRange(r, 'vni_ranges', { min: 1, max: 2 ** 24 - 1 })), tunnelMtu, o.geneve_max_header_size),
      gre: () => new GreTypeDriver(o.gre_tunnel_id_ranges.map((r) => parseRange(r, 'tunnel_id_ranges', { min: 1, max: 2 ** 32 - 1 })), tunnelMtu),
    };
    for (const name of o.type_drivers) {
      const make = factories[name];
      if (!make) throw new Error(`Unknown ML2 type driver '${name}' in [ml2] type_drivers`);
      this.drivers.set(name, make());
    }
    for (const t of o.tenant_network_types) {
      if (!this.drivers.has(t)) throw new Error(`[ml2] tenant_network_types: '${t}' is not in type_drivers`);
    }
    this.tenantTypes = o.tenant_network_types;
    this.globalMtu = o.global_physnet_mtu;
  }

  private driver(type: string): TypeDriver {
    const d = this.drivers.get(type);
    if (!d) throw invalid(`network_type value '${type}' not supported`);
    return d;
  }

  private segmentFrom(source: Item): Segment {
    const type = source['provider:network_type'];
    if (type === undefined || type === UNSET || type === null) throw invalid('network_type required');
    const physnet = source['provider:physical_network'];
    const id = source['provider:segmentation_id'];
    const segment: Segment = {
      network_type: type as string,
      physical_network: physnet === UNSET || physnet === undefined ? null : (physnet as string | null),
      segmentation_id: id === UNSET || id === undefined ? null : (id as number | null),
    };
    this.driver(segment.network_type).validateProviderSegment(segment);
    return segment;
  }

  /** The segments a create request asks for (provider:* or segments), validated; null = tenant network. */
  requestedSegments(network: Item): Segment[] | null {
    const providerSet = PROVIDER_KEYS.some((k) => network[k] !== undefined && network[k] !== UNSET);
    const segments = network.segments;
    const segmentsSet = segments !== undefined && segments !== UNSET;
    if (providerSet) {
      if (segmentsSet) throw invalid('Segments and provider values cannot both be set.');
      return [this.segmentFrom(network)];
    }
    // an empty list asks for no segment in particular: a tenant network, as ML2's create_network_segments does
    if (segmentsSet && (segments as Item[]).length) {
      const list = (segments as Item[]).map((s) => this.segmentFrom(s));
      const seen = new Set<string>();
      for (const s of list) {
        if (s.segmentation_id === null) continue; // partial segments may repeat
        const key = `${s.network_type}/${s.physical_network}/${s.segmentation_id}`;
        if (seen.has(key)) throw new InvalidInput({ error_message: 'Duplicate segment entry in request' });
        seen.add(key);
      }
      return list;
    }
    return null;
  }

  /** Reserves the requested segments, or allocates one of the first tenant type that has room. */
  async createSegments(tx: Tx, networkId: string, requested: Segment[] | null, projectId: string | null = null): Promise<Segment[]> {
    if (requested) {
      const out: Segment[] = [];
      for (const s of requested) out.push(await this.driver(s.network_type).reserveProviderSegment(tx, s, networkId));
      return out;
    }
    if (!this.tenantTypes.length) throw new HTTPBadRequest('No tenant network types are configured ([ml2] tenant_network_types).');
    for (const type of this.tenantTypes) {
      const ranges = await this.tenantRanges?.(tx, type, projectId);
      const seg = await this.drivers.get(type)!.allocateTenantSegment(tx, networkId, ranges);
      if (seg) return [seg];
    }
    throw new NoNetworkAvailable();
  }

  async releaseSegments(tx: Tx, segments: Segment[]): Promise<void> {
    for (const s of segments) await this.drivers.get(s.network_type)?.releaseSegment(tx, s);
  }

  /** The network MTU: the smallest of its segments' limits, global_physnet_mtu where a type has none. */
  maxMtu(segments: Segment[]): number {
    const limits = segments.map((s) => Math.min(this.globalMtu, this.drivers.get(s.network_type)?.mtu(s.physical_network) || this.globalMtu));
    return limits.length ? Math.min(...limits) : this.globalMtu;
  }
}
