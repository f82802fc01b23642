import { STANDARD_RESOURCES, type ExtensionDef } from '../../../lib/definitions.js';

export const standardAttrRevisions: ExtensionDef = {
  alias: 'standard-attr-revisions',
  name: 'Resource revision numbers',
  description: 'This extension will display the revision number of neutron resources.',
  updated: '2016-04-11T10:00:00-00:00',
  attributes: {
    [STANDARD_RESOURCES]: {
      revision_number: {
        allowPost: false, allowPut: false, isVisible: true, isFilter: true, isSort: true,
        column: 'revision_number', kind: 'int',
      },
    },
  },
};
