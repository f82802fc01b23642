import { UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/** A router's flavor_id, resolved to an L3 service provider when it is created (flavors plugin). */
export const l3Flavors: ExtensionDef = {
  alias: 'l3-flavors',
  name: 'Router Flavor Extension',
  description: 'Flavor support for routers.',
  updated: '2016-05-17T00:00:00-00:00',
  requires: ['flavors', 'router'],
  attributes: {
    routers: {
      flavor_id: { allowPost: true, allowPut: false, isVisible: true, isSort: true, default: UNSET, enforcePolicy: true, column: 'flavor_id', kind: 'string' },
    },
  },
};
