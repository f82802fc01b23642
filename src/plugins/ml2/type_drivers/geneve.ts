import type { Range } from './driver.js';
import { TunnelTypeDriver, type TunnelMtuOptions } from './tunnel.js';

export class GeneveTypeDriver extends TunnelTypeDriver {
  readonly type = 'geneve';
  readonly maxId = 2 ** 24 - 1;
  /** [ml2_type_geneve] max_header_size */
  readonly encapOverhead: number;
  constructor(ranges: Range[], mtu: TunnelMtuOptions, maxHeaderSize: number) {
    super(ranges, mtu);
    this.encapOverhead = maxHeaderSize;
  }
}
