import { toBoolean } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const securityGroupsSharedFiltering: ExtensionDef = {
  alias: 'security-groups-shared-filtering',
  name: 'Security group filtering on the shared field',
  description: 'Support filtering security groups on the shared field',
  updated: '2021-10-05T09:00:00-00:00',
  requires: ['rbac-security-groups'],
  attributes: {
    // computed from rbac_entries (object_type security_group)
    security_groups: {
      shared: { allowPost: false, allowPut: false, isVisible: true, isFilter: true, convert: toBoolean, requiredByPolicy: true, enforcePolicy: true },
    },
  },
};
