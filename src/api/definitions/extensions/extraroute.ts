import { noneToEmptyList, UNSET } from '../../attributes.js';
import { validateHostRoutes } from '../../../ipam/validators.js';
import type { ExtensionDef } from '../types.js';

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
