import { TunnelTypeDriver } from './tunnel.js';

export class GreTypeDriver extends TunnelTypeDriver {
  readonly type = 'gre';
  readonly maxId = 2 ** 32 - 1;
  readonly encapOverhead = 22;
}
