import { validateUuidOrNone } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/**
 * The segments extension. Here only its subnet side (`segment_id`); the /v2.0/segments resource
 * belongs with the segments service plugin.
 */
export const segment: ExtensionDef = {
  alias: 'segment',
  name: 'Segment',
  description: 'Segments extension.',
  updated: '2016-02-24T17:00:00-00:00',
  requires: ['standard-attr-description'],
  attributes: {
    subnets: {
      segment_id: {
        allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: null,
        validate: validateUuidOrNone, column: 'segment_id', kind: 'string',
      },
    },
  },
};
