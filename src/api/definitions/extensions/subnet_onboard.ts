import type { ExtensionDef } from '../../../lib/definitions.js';

/** The onboard_network_subnets action of subnet pools (its route: subnetpool.ts's memberActions). */
export const subnetOnboard: ExtensionDef = {
  alias: 'subnet_onboard',
  name: 'Subnet Onboard',
  description: 'Provides support for onboarding subnets into subnet pools',
  updated: '2018-12-18T09:00:00-00:00',
  requires: ['subnet_allocation'],
};
