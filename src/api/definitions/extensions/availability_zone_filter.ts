import type { ExtensionDef } from '../../../lib/definitions.js';

/** The name, resource and state filters of /v2.0/availability_zones (availability_zone.ts's map). */
export const availabilityZoneFilter: ExtensionDef = {
  alias: 'availability_zone_filter',
  name: 'Availability Zone Filter Extension',
  description: 'Add filter parameters to AvailabilityZone resource',
  updated: '2018-06-22T10:00:00-00:00',
  requires: ['availability_zone'],
};
