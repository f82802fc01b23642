import { validateHostRoutes } from '../../../lib/address-validators.js';
import { noneToEmptyList, UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const extraroute: ExtensionDef = {
  alias: 'extraroute',
  name: 'Neutron Extra Route',
  description: 'Extra routes configuration for L3 router',
  updated: '2013-02-01T10:00:00-00:00',
  requires: ['router'],
  attributes: {
    routers: {
      routes: { allowPost: false, allowPut: true, isVisible: true, default: UNSET, convert: noneToEmptyList, validate: validateHostRoutes },
    },
  },
};
