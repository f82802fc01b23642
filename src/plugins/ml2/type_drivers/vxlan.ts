import { TunnelTypeDriver } from './tunnel.js';

export class VxlanTypeDriver extends TunnelTypeDriver {
  readonly type = 'vxlan';
  readonly maxId = 2 ** 24 - 1;
  readonly encapOverhead = 30;
}
