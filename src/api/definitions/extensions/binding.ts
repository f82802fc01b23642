import { convertHostId, UNSET, validateDictOrNone, validateString, validateValues, type ChildTable, type StorageKind } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const VNIC_TYPES = [
  'normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa',
  'accelerator-direct', 'accelerator-direct-physical', 'remote-managed',
] as const;

/** A column of the port's ACTIVE row of ML2's port bindings (binding-extended adds INACTIVE ones). */
const bound = (value: string, kind?: StorageKind): ChildTable => ({ table: 'ml2_port_bindings', parent: 'port_id', value, kind, single: true, where: { status: 'ACTIVE' } });

export const binding: ExtensionDef = {
  alias: 'binding',
  name: 'Port Binding',
  description: 'Expose port bindings of a virtual port to external application',
  updated: '2014-02-03T10:00:00-00:00',
  attributes: {
    ports: {
      'binding:vif_type': { allowPost: false, allowPut: false, isVisible: true, default: UNSET, enforcePolicy: true, child: bound('vif_type') },
      'binding:vif_details': { allowPost: false, allowPut: false, isVisible: true, default: UNSET, enforcePolicy: true, child: bound('vif_details', 'json') },
      'binding:vnic_type': {
        allowPost: true, allowPut: true, isVisible: true, default: 'normal', enforcePolicy: true, validate: validateValues(VNIC_TYPES),
        child: bound('vnic_type'),
      },
      'binding:host_id': {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: UNSET, enforcePolicy: true,
        convert: convertHostId, convertFilter: String, validate: validateString(255), child: bound('host'),
      },
      'binding:profile': {
        allowPost: true, allowPut: true, isVisible: true, default: UNSET, enforcePolicy: true, validate: validateDictOrNone,
        child: bound('profile', 'json'),
      },
    },
  },
};
