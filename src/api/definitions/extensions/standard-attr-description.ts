import { DESCRIPTION_FIELD_SIZE, validateString } from '../../../lib/attributes.js';
import { STANDARD_RESOURCES, type ExtensionDef } from '../../../lib/definitions.js';

export const standardAttrDescription: ExtensionDef = {
  alias: 'standard-attr-description',
  name: 'standard-attr-description',
  description: 'Extension to add descriptions to standard attributes',
  updated: '2016-02-10T10:00:00-00:00',
  attributes: {
    [STANDARD_RESOURCES]: {
      description: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: '',
        validate: validateString(DESCRIPTION_FIELD_SIZE), column: 'description', kind: 'string',
      },
    },
  },
};
