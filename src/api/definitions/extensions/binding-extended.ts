import { PROJECT_ID_FIELD_SIZE, UNSET, validateDictOrNone, validateString, validateValues } from '../../../lib/attributes.js';
import type { ExtensionDef, ResourceDef } from '../../../lib/definitions.js';
import { VNIC_TYPES } from './binding.js';

/**
 * /v2.0/ports/<port_id>/bindings: a port's bindings, one per host, one of them ACTIVE (live
 * migration binds the destination host INACTIVE, then activates it). A sub-resource: ML2 serves
 * its routes; this map checks the bodies.
 */
export const portBinding: ResourceDef = {
  name: 'binding',
  collection: 'bindings',
  table: 'ml2_port_bindings',
  parent: { collection: 'ports', attribute: 'port_id' },
  memberActions: { activate: 'PUT' },
  attributes: {
    host: { allowPost: true, allowPut: true, isVisible: true, isFilter: true, primaryKey: true, validate: validateString(255) },
    vif_type: { allowPost: false, allowPut: false, isVisible: true, isFilter: true, default: UNSET, enforcePolicy: true },
    vif_details: { allowPost: false, allowPut: false, isVisible: true, default: UNSET, enforcePolicy: true },
    vnic_type: { allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: 'normal', enforcePolicy: true, validate: validateValues(VNIC_TYPES) },
    profile: { allowPost: true, allowPut: true, isVisible: true, default: UNSET, enforcePolicy: true, validate: validateDictOrNone },
    status: { allowPost: false, allowPut: false, isVisible: true, isFilter: true },
    tenant_id: { allowPost: true, allowPut: false, isVisible: false, requiredByPolicy: true, validate: validateString(PROJECT_ID_FIELD_SIZE) },
    project_id: { allowPost: true, allowPut: false, isVisible: false, requiredByPolicy: true, validate: validateString(PROJECT_ID_FIELD_SIZE) },
  },
};

export const bindingExtended: ExtensionDef = {
  alias: 'binding-extended',
  name: 'Port Bindings Extended',
  description: 'Expose port bindings of a virtual port to external application',
  updated: '2017-07-17T10:00:00-00:00',
  requires: ['binding'],
};
