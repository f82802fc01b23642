import type { ExtensionDef } from '../../../lib/definitions.js';

/** Changing `distributed` needs the router admin down before and after (checked by the router plugin). */
export const routerAdminStateDownBeforeUpdate: ExtensionDef = {
  alias: 'router-admin-state-down-before-update',
  name: 'Enforce Router\'s Admin State Down Before Update Extension',
  description: 'Ensure that the admin state of a router is DOWN (admin_state_up=False) before updating the distributed attribute',
  updated: '2019-07-02T15:56:00',
  requires: ['router'],
};
