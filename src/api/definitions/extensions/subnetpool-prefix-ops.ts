import type { ExtensionDef } from '../../../lib/definitions.js';

/** The add_prefixes / remove_prefixes member actions of subnet pools (declared on the resource). */
export const subnetpoolPrefixOps: ExtensionDef = {
  alias: 'subnetpool-prefix-ops',
  name: 'Subnet Pool Prefix Operations',
  description: 'Provides support for adjusting the prefix list of subnet pools',
  updated: '2019-02-08T10:00:00-00:00',
  requires: ['subnet_allocation'],
};
