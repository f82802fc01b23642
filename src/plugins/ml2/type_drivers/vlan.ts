import { NoNetworkAvailable, VlanIdInUse } from '../../../lib/errors.js';
import type { Tx } from '../../../db/schema.js';
import {
  invalid, isAllocated, lowestFree, recordAllocation, releaseAllocation, type Range, type Segment, type SegmentRange, type TypeDriver,
} from './driver.js';

export const MIN_VLAN_TAG = 1;
export const MAX_VLAN_TAG = 4094;

/** 802.1Q networks on physical networks, tenant VLANs from [ml2_type_vlan] network_vlan_ranges. */
export class VlanTypeDriver implements TypeDriver {
  readonly type = 'vlan';
  constructor(private readonly ranges: Map<string, Range[]>, private readonly physnetMtus: Map<string, number>) {}

  validateProviderSegment(segment: Segment): void {
    const { physical_network: physnet, segmentation_id: id } = segment;
    if (physnet) {
      if (!this.ranges.has(physnet)) throw invalid(`physical_network '${physnet}' unknown for VLAN provider network`);
      if (id !== null && id !== undefined && (id < MIN_VLAN_TAG || id > MAX_VLAN_TAG)) {
        throw invalid(`segmentation_id out of range (${MIN_VLAN_TAG} through ${MAX_VLAN_TAG})`);
      }
    } else if (id !== null && id !== undefined) {
      throw invalid('segmentation_id requires physical_network for VLAN provider network');
    }
  }

  async reserveProviderSegment(tx: Tx, segment: Segment, networkId: string): Promise<Segment> {
    const { physical_network: physnet, segmentation_id: id } = segment;
    if (physnet && id !== null && id !== undefined) {
      if (await isAllocated(tx, this.type, physnet, id)) throw new VlanIdInUse({ vlan_id: id, physical_network: physnet });
      await recordAllocation(tx, this.type, physnet, id, networkId);
      return { network_type: this.type, physical_network: physnet, segmentation_id: id };
    }
    // A partial segment: any free VLAN, on the given physnet or on any.
    const physnets = physnet ? [physnet] : [...this.ranges.keys()];
    const seg = await this.allocateFrom(tx, physnets, networkId);
    if (!seg) throw new NoNetworkAvailable();
    return seg;
  }

  async allocateTenantSegment(tx: Tx, networkId: string, ranges?: readonly SegmentRange[]): Promise<Segment | null> {
    if (!ranges) return this.allocateFrom(tx, [...this.ranges.keys()], networkId);
    for (const r of ranges) {
      const id = r.physicalNetwork ? await lowestFree(tx, this.type, r.physicalNetwork, [r]) : null;
      if (id !== null) {
        await recordAllocation(tx, this.type, r.physicalNetwork!, id, networkId);
        return { network_type: this.type, physical_network: r.physicalNetwork, segmentation_id: id };
      }
    }
    return null;
  }

  private async allocateFrom(tx: Tx, physnets: string[], networkId: string): Promise<Segment | null> {
    for (const physnet of physnets) {
      const id = await lowestFree(tx, this.type, physnet, this.ranges.get(physnet) ?? []);
      if (id !== null) {
        await recordAllocation(tx, this.type, physnet, id, networkId);
        return { network_type: this.type, physical_network: physnet, segmentation_id: id };
      }
    }
    return null;
  }

  async releaseSegment(tx: Tx, segment: Segment): Promise<void> {
    await releaseAllocation(tx, this.type, segment.physical_network!, segment.segmentation_id!);
  }

  mtu(physicalNetwork: string | null): number {
    return (physicalNetwork && this.physnetMtus.get(physicalNetwork)) || 0;
  }
}
