import { STANDARD_RESOURCES, type ExtensionDef } from '../../../lib/definitions.js';

export const standardAttrTimestamp: ExtensionDef = {
  alias: 'standard-attr-timestamp',
  name: 'Resource timestamps',
  description: 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.',
  updated: '2016-09-12T10:00:00-00:00',
  attributes: {
    [STANDARD_RESOURCES]: {
      created_at: { allowPost: false, allowPut: false, isVisible: true, isSort: true, column: 'created_at', kind: 'timestamp' },
      updated_at: { allowPost: false, allowPut: false, isVisible: true, isSort: true, column: 'updated_at', kind: 'timestamp' },
    },
  },
};
