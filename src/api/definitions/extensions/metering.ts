import {
  idAttribute, nameAttribute, projectAttribute, toBoolean, validateString, validateUuid, validateValues, PROJECT_ID_FIELD_SIZE,
  type AttributeDef,
} from '../../../lib/attributes.js';
import { validateSubnet as validateCidr } from '../../../lib/address-validators.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const flag = (column: string): AttributeDef => ({
  allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: false, convert: toBoolean, column, kind: 'bool',
});

/** /v2.0/metering/metering-labels and /v2.0/metering/metering-label-rules (admin-made; read by the metering agent). */
export const metering: ExtensionDef = {
  alias: 'metering',
  name: 'Neutron Metering',
  description: 'Neutron Metering extension.',
  updated: '2013-06-12T10:00:00-00:00',
  resources: [
    {
      name: 'metering_label',
      collection: 'metering_labels',
      path: 'metering-labels',
      pathPrefix: 'metering',
      table: 'metering_labels',
      attributes: {
        id: idAttribute,
        name: { ...nameAttribute, allowPut: false },
        description: {
          allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: '', validate: validateString(1024), column: 'description', kind: 'string',
        },
        tenant_id: { ...projectAttribute() },
        shared: flag('shared'),
      },
    },
    {
      name: 'metering_label_rule',
      collection: 'metering_label_rules',
      path: 'metering-label-rules',
      pathPrefix: 'metering',
      table: 'metering_label_rules',
      attributes: {
        id: idAttribute,
        metering_label_id: {
          allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, requiredByPolicy: true, validate: validateUuid, column: 'metering_label_id',
        },
        direction: {
          allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, validate: validateValues(['ingress', 'egress']), column: 'direction', kind: 'string',
        },
        excluded: flag('excluded'),
        remote_ip_prefix: {
          allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, requiredByPolicy: true, validate: validateCidr, column: 'remote_ip_prefix', kind: 'string',
        },
        // the rule's project is its label's; Neutron shows neither
        tenant_id: { allowPost: true, allowPut: false, isVisible: false, requiredByPolicy: true, validate: validateString(PROJECT_ID_FIELD_SIZE), kind: 'string' },
      },
    },
  ],
};
