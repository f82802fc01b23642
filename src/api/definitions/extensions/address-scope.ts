import {
  idAttribute, nameAttribute, projectAttribute, toBoolean, toInt, UNSET, validateBoolean, validateUuidOrNone, validateValues,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const addressScope: ExtensionDef = {
  alias: 'address-scope',
  name: 'Address scope',
  description: 'Address scopes extension.',
  updated: '2015-07-26T10:00:00-00:00',
  resources: [{
    name: 'address_scope',
    collection: 'address_scopes',
    path: 'address-scopes',
    table: 'address_scopes',
    allowBulk: true,
    attributes: {
      id: idAttribute,
      name: nameAttribute,
      tenant_id: projectAttribute(),
      // sharing lives in rbac_entries (object_type address_scope), so it is filter-only here
      shared: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: false,
        convert: toBoolean, validate: validateBoolean, requiredByPolicy: true, enforcePolicy: true,
      },
      ip_version: {
        allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true,
        convert: toInt, validate: validateValues([4, 6]), column: 'ip_version', kind: 'int',
      },
    },
  }],
  attributes: {
    subnetpools: {
      address_scope_id: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: UNSET,
        validate: validateUuidOrNone, column: 'address_scope_id', kind: 'string',
      },
    },
    networks: {
      ipv4_address_scope: { allowPost: false, allowPut: false, isVisible: true },
      ipv6_address_scope: { allowPost: false, allowPut: false, isVisible: true },
    },
  },
};
