import { validateSubnetServiceTypes } from '../../../lib/address-validators.js';
import { UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const subnetServiceTypes: ExtensionDef = {
  alias: 'subnet-service-types',
  name: 'Subnet service types',
  description: 'Provides ability to set the subnet service_types field',
  updated: '2016-03-15T18:00:00-00:00',
  attributes: {
    subnets: {
      service_types: {
        allowPost: true, allowPut: true, isVisible: true, default: UNSET, validate: validateSubnetServiceTypes,
        child: { table: 'subnet_service_types', parent: 'subnet_id', value: 'service_type' },
      },
    },
  },
};
