import { UNSET, validateDictOrNone, validateValues } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const VNIC_TYPES = [
  'normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa',
  'accelerator-direct', 'accelerator-direct-physical', 'remote-managed',
] as const;

export const binding: ExtensionDef = {
  alias: 'binding',
  name: 'Port Binding',
  description: 'Expose port bindings of a virtual port to external application',
  updated: '2014-02-03T10:00:00-00:00',
  attributes: {
    ports: {
      'binding:vif_type': { allowPost: false, allowPut: false, isVisible: true, default: UNSET, enforcePolicy: true },
      'binding:vif_details': { allowPost: false, allowPut: false, isVisible: true, default: UNSET, enforcePolicy: true },
      'binding:vnic_type': {
        allowPost: true, allowPut: true, isVisible: true, default: 'normal', enforcePolicy: true, validate: validateValues(VNIC_TYPES),
      },
      'binding:host_id': { allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: UNSET, enforcePolicy: true },
      'binding:profile': { allowPost: true, allowPut: true, isVisible: true, default: UNSET, enforcePolicy: true, validate: validateDictOrNone },
    },
  },
};
