import { FlatNetworkInUse } from '../../../lib/errors.js';
import type { Tx } from '../../../db/schema.js';
import { invalid, isAllocated, recordAllocation, releaseAllocation, type Segment, type TypeDriver } from './driver.js';

/** One untagged network per physical network ([ml2_type_flat] flat_networks; `*` allows any). */
export class FlatTypeDriver implements TypeDriver {
  readonly type = 'flat';
  constructor(private readonly flatNetworks: string[], private readonly physnetMtus: Map<string, number>) {}

  validateProviderSegment(segment: Segment): void {
    const physnet = segment.physical_network;
    if (!physnet) throw invalid('physical_network required for flat provider network');
    if (this.flatNetworks.length === 0) throw invalid('Flat provider networks are disabled');
    if (!this.flatNetworks.includes('*') && !this.flatNetworks.includes(physnet)) {
      throw invalid(`physical_network '${physnet}' unknown for flat provider network`);
    }
    if (segment.segmentation_id !== null && segment.segmentation_id !== undefined) {
      throw invalid('segmentation_id prohibited for flat provider network');
    }
  }

  async reserveProviderSegment(tx: Tx, segment: Segment, networkId: string): Promise<Segment> {
    const physnet = segment.physical_network!;
    if (await isAllocated(tx, this.type, physnet, 0)) throw new FlatNetworkInUse({ physical_network: physnet });
    await recordAllocation(tx, this.type, physnet, 0, networkId);
    return { network_type: this.type, physical_network: physnet, segmentation_id: null };
  }

  async allocateTenantSegment(): Promise<null> { return null; }

  async releaseSegment(tx: Tx, segment: Segment): Promise<void> {
    await releaseAllocation(tx, this.type, segment.physical_network!, 0);
  }

  mtu(physicalNetwork: string | null): number {
    return (physicalNetwork && this.physnetMtus.get(physicalNetwork)) || 0;
  }
}
