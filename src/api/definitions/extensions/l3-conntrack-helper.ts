import { idAttribute, PROJECT_ID_FIELD_SIZE, toInt, validateRange, validateString, validateValues } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';
import { convertToProtocol, PORT_FORWARDING_PROTOCOLS } from './floating-ip-port-forwarding.js';

const toText = (v: unknown) => (v === null || typeof v === 'object' ? v : String(v));

/** /v2.0/routers/<id>/conntrack_helpers: CT target rules for conntrack helper modules on a router. */
export const l3ConntrackHelper: ExtensionDef = {
  alias: 'l3-conntrack-helper',
  name: 'L3 Conntrack helper',
  description: 'Allow adding CT target rules for conntrack helper',
  updated: '2019-04-04T10:00:00-00:00',
  requires: ['router'],
  resources: [{
    name: 'conntrack_helper',
    collection: 'conntrack_helpers',
    table: 'conntrack_helpers',
    parent: { collection: 'routers', attribute: 'router_id' },
    attributes: {
      id: idAttribute,
      tenant_id: { allowPost: true, allowPut: false, isVisible: false, requiredByPolicy: true, validate: validateString(PROJECT_ID_FIELD_SIZE), kind: 'string' },
      router_id: { allowPost: false, allowPut: false, isVisible: false, column: 'router_id', kind: 'string' },
      protocol: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true,
        convert: convertToProtocol, validate: validateValues(PORT_FORWARDING_PROTOCOLS), column: 'protocol', kind: 'string',
      },
      port: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true,
        convert: toInt, validate: validateRange(1, 65535), column: 'port', kind: 'int',
      },
      helper: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true,
        convert: toText, validate: validateString(64), column: 'helper', kind: 'string',
      },
    },
  }],
};
