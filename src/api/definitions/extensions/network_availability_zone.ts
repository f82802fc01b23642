import { validateAvailabilityZoneHints } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const networkAvailabilityZone: ExtensionDef = {
  alias: 'network_availability_zone',
  name: 'Network Availability Zone',
  description: 'Availability zone support for network.',
  updated: '2015-01-01T10:00:00-00:00',
  requires: ['availability_zone'],
  attributes: {
    networks: {
      availability_zones: { allowPost: false, allowPut: false, isVisible: true },
      availability_zone_hints: {
        allowPost: true, allowPut: false, isVisible: true, isSort: true, default: [],
        validate: validateAvailabilityZoneHints, column: 'availability_zone_hints', kind: 'json',
      },
    },
  },
};
