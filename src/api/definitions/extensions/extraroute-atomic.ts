import type { ExtensionDef } from '../../../lib/definitions.js';

/** PUT /v2.0/routers/<id>/add_extraroutes and remove_extraroutes (the member actions are on the router definition). */
export const extrarouteAtomic: ExtensionDef = {
  alias: 'extraroute-atomic',
  name: 'Atomically add/remove extra routes',
  description: 'Edit extra routes of a router on server side by atomically adding/removing extra routes',
  updated: '2019-07-10T00:00:00+00:00',
  requires: ['router', 'extraroute'],
};
