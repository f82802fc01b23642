import { validateIpAddressOrNone } from '../../../lib/address-validators.js';
import { idAttribute, nameAttribute, projectAttribute, UNSET, validateString, validateUuid, validateValues } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const IP_MODES = ['translate', 'passthrough'];

/**
 * /v2.0/local_ips (node-local virtual IPs) and /v2.0/local_ips/<id>/port_associations, the
 * latter served as routes by the local_ip plugin (an association is named by its port's id).
 */
export const localIp: ExtensionDef = {
  alias: 'local_ip',
  name: 'Local IP',
  description: 'Support Node Local Virtual IP',
  updated: '2021-07-26T10:00:00-00:00',
  resources: [{
    name: 'local_ip',
    collection: 'local_ips',
    table: 'local_ips',
    standardAttributes: true,
    taggable: true,
    attributes: {
      id: idAttribute,
      name: nameAttribute,
      description: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: '', validate: validateString(1024), column: 'description', kind: 'string',
      },
      tenant_id: projectAttribute(),
      local_port_id: {
        allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: UNSET, validate: validateUuid, column: 'local_port_id', kind: 'string',
      },
      network_id: {
        allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: UNSET, validate: validateUuid, column: 'network_id', kind: 'string',
      },
      local_ip_address: {
        allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: UNSET, enforcePolicy: true,
        validate: validateIpAddressOrNone, column: 'local_ip_address', kind: 'string',
      },
      ip_mode: {
        allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: 'translate', validate: validateValues(IP_MODES), column: 'ip_mode', kind: 'string',
      },
    },
  }],
};
