import { NoNetworkAvailable, TunnelIdInUse } from '../../../lib/errors.js';
import type { Tx } from '../../../db/schema.js';
import {
  invalid, isAllocated, lowestFree, recordAllocation, releaseAllocation, type Range, type Segment, type SegmentRange, type TypeDriver,
} from './driver.js';

export interface TunnelMtuOptions {
  globalPhysnetMtu: number;
  pathMtu: number;
  overlayIpVersion: 4 | 6;
}

/** What VXLAN, Geneve and GRE share: no physical network, ids from configured ranges. */
export abstract class TunnelTypeDriver implements TypeDriver {
  abstract readonly type: string;
  /** largest segmentation id the encapsulation can carry */
  abstract readonly maxId: number;
  /** bytes the encapsulation adds, besides the outer IP header */
  abstract readonly encapOverhead: number;

  constructor(private readonly ranges: Range[], private readonly mtuOptions: TunnelMtuOptions) {}

  validateProviderSegment(segment: Segment): void {
    if (segment.physical_network) throw invalid(`provider:physical_network specified for ${this.type} network`);
    const id = segment.segmentation_id;
    if (id !== null && id !== undefined && (id < 1 || id > this.maxId)) {
      throw invalid(`segmentation_id out of range (1 through ${this.maxId})`);
    }
  }

  async reserveProviderSegment(tx: Tx, segment: Segment, networkId: string): Promise<Segment> {
    const id = segment.segmentation_id;
    if (id === null || id === undefined) {
      const seg = await this.allocateTenantSegment(tx, networkId);
      if (!seg) throw new NoNetworkAvailable();
      return seg;
    }
    if (await isAllocated(tx, this.type, '', id)) throw new TunnelIdInUse({ tunnel_id: id });
    await recordAllocation(tx, this.type, '', id, networkId);
    return { network_type: this.type, physical_network: null, segmentation_id: id };
  }

  async allocateTenantSegment(tx: Tx, networkId: string, ranges?: readonly SegmentRange[]): Promise<Segment | null> {
    const id = await lowestFree(tx, this.type, '', ranges ?? this.ranges);
    if (id === null) return null;
    await recordAllocation(tx, this.type, '', id, networkId);
    return { network_type: this.type, physical_network: null, segmentation_id: id };
  }

  async releaseSegment(tx: Tx, segment: Segment): Promise<void> {
    await releaseAllocation(tx, this.type, '', segment.segmentation_id!);
  }

  /** min(global_physnet_mtu, path_mtu) less the outer IP header and the encapsulation. */
  mtu(): number {
    const { globalPhysnetMtu, pathMtu, overlayIpVersion } = this.mtuOptions;
    const limits = [globalPhysnetMtu, pathMtu].filter((m) => m > 0);
    if (!limits.length) return 0;
    return Math.min(...limits) - (overlayIpVersion === 6 ? 40 : 20) - this.encapOverhead;
  }
}
