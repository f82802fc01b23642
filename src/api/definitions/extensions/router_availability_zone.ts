import { validateAvailabilityZoneHints } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const routerAvailabilityZone: ExtensionDef = {
  alias: 'router_availability_zone',
  name: 'Router Availability Zone',
  description: 'Availability zone support for router.',
  updated: '2015-01-01T10:00:00-00:00',
  requires: ['router', 'availability_zone'],
  attributes: {
    routers: {
      availability_zones: { allowPost: false, allowPut: false, isVisible: true },
      availability_zone_hints: {
        allowPost: true, allowPut: false, isVisible: true, default: [],
        validate: validateAvailabilityZoneHints, column: 'availability_zone_hints', kind: 'json',
      },
    },
  },
};
