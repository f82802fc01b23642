import { invalid, type Segment, type TypeDriver } from './driver.js';

/** Networks that live on one host: nothing to allocate. */
export class LocalTypeDriver implements TypeDriver {
  readonly type = 'local';
  validateProviderSegment(segment: Segment): void {
    for (const key of ['physical_network', 'segmentation_id'] as const) {
      if (segment[key] !== null && segment[key] !== undefined) throw invalid(`${key} prohibited for local provider network`);
    }
  }
  async reserveProviderSegment(_tx: unknown, segment: Segment): Promise<Segment> { return segment; }
  async allocateTenantSegment(): Promise<Segment> {
    return { network_type: 'local', physical_network: null, segmentation_id: null };
  }
  async releaseSegment(): Promise<void> {}
  mtu(): number { return 0; }
}
