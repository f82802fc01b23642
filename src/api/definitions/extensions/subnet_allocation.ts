import type { ExtensionDef } from '../../../lib/definitions.js';

/** Subnets allocated from subnet pools (subnetpool_id, prefixlen); no attributes of its own. */
export const subnetAllocation: ExtensionDef = {
  alias: 'subnet_allocation',
  name: 'Subnet Allocation',
  description: 'Enables allocation of subnets from a subnet pool',
  updated: '2015-03-30T10:00:00-00:00',
};
