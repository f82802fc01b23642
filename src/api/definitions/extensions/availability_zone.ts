import type { ExtensionDef } from '../../../lib/definitions.js';

export const availabilityZone: ExtensionDef = {
  alias: 'availability_zone',
  name: 'Availability Zone',
  description: 'The availability zone extension.',
  updated: '2015-01-01T10:00:00-00:00',
  requires: ['agent'],
  resources: [{
    name: 'availability_zone',
    collection: 'availability_zones',
    path: 'availability_zones',
    table: 'agents',
    allowBulk: false,
    attributes: {
      name: { allowPost: false, allowPut: false, isVisible: true, isFilter: true },
      resource: { allowPost: false, allowPut: false, isVisible: true, isFilter: true },
      state: { allowPost: false, allowPut: false, isVisible: true, isFilter: true },
    },
  }],
  attributes: {
    agents: {
      availability_zone: { allowPost: false, allowPut: false, isVisible: true, isFilter: true, column: 'availability_zone', kind: 'string' },
    },
  },
};
