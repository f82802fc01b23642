import type { ExtensionDef } from '../../../lib/definitions.js';
import { externalGatewayInfo } from './router.js';

export const qosGatewayIp: ExtensionDef = {
  alias: 'qos-gateway-ip',
  name: 'Router gateway IP QoS',
  description: 'The Router gateway IP Quality of Service extension',
  updated: '2018-02-24T00:00:00-00:00',
  requires: ['router', 'qos', 'ext-gw-mode'],
  // the binding lives in qos_router_gw_policy_bindings (src/services/qos/gateway.ts)
  attributes: { routers: { external_gateway_info: externalGatewayInfo(true, true) } },
};
