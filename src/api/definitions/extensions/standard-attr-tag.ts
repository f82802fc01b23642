import type { AttributeDef } from '../../../lib/attributes.js';
import { TAGGABLE_RESOURCES, type ExtensionDef } from '../../../lib/definitions.js';

/** The four tag filters: all of, any of, not all of, none of (values may also be comma-separated). */
const filterOnly: AttributeDef = { allowPost: false, allowPut: false, isVisible: false, isFilter: true };

export const standardAttrTag: ExtensionDef = {
  alias: 'standard-attr-tag',
  name: 'Tag support for resources with standard attribute: port, subnet, subnetpool, network, router, floatingip, policy, security_group, trunk, network_segment_range',
  description: 'Enables to set tag on resources with standard attribute.',
  updated: '2017-01-01T00:00:00-00:00',
  attributes: {
    [TAGGABLE_RESOURCES]: {
      tags: { allowPost: false, allowPut: false, isVisible: true, isFilter: true },
      'tags-any': filterOnly,
      'not-tags': filterOnly,
      'not-tags-any': filterOnly,
    },
  },
};
