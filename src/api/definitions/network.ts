import {
  idAttribute, nameAttribute, projectAttribute, toBoolean, validateBoolean, type AttributeDef,
} from '../../lib/attributes.js';
import type { ResourceDef } from '../../lib/definitions.js';

/** The core `network` resource (neutron_lib/api/definitions/network.py). */
export const network: ResourceDef = {
  name: 'network',
  collection: 'networks',
  table: 'networks',
  standardAttributes: true,
  taggable: true,
  allowBulk: true,
  markerMustExist: true,
  attributes: {
    id: idAttribute,
    name: nameAttribute,
    subnets: { allowPost: false, allowPut: false, isVisible: true, default: [] },
    admin_state_up: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: true,
      convert: toBoolean, validate: validateBoolean, column: 'admin_state_up', kind: 'bool',
    },
    status: { allowPost: false, allowPut: false, isVisible: true, isFilter: true, isSort: true, column: 'status', kind: 'string' },
    tenant_id: projectAttribute(),
    shared: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: false,
      convert: toBoolean, validate: validateBoolean, requiredByPolicy: true, enforcePolicy: true,
    } satisfies AttributeDef,
  },
};
