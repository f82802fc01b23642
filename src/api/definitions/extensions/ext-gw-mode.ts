import type { ExtensionDef } from '../../../lib/definitions.js';
import { externalGatewayInfo } from './router.js';

export const extGwMode: ExtensionDef = {
  alias: 'ext-gw-mode',
  name: 'Neutron L3 Configurable external gateway mode',
  description: 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
  updated: '2013-03-28T10:00:00-00:00',
  requires: ['router'],
  attributes: { routers: { external_gateway_info: externalGatewayInfo(true) } },
};
