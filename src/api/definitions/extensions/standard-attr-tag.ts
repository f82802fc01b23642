import { validateListOfUniqueStrings, type AttributeDef } from '../../../lib/attributes.js';
import { TAGGABLE_RESOURCES, type ExtensionDef } from '../../../lib/definitions.js';

/** tagging's MAX_TAG_LEN */
const MAX_TAG_LEN = 255;

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
    // Neutron's TAG_ATTRIBUTE_MAP_PORTS: tags in a port's POST (kept with tag_ports_during_bulk_creation)
    ports: {
      tags: { allowPost: true, allowPut: false, isVisible: true, isFilter: true, default: [], validate: validateListOfUniqueStrings(MAX_TAG_LEN) },
    },
  },
};
