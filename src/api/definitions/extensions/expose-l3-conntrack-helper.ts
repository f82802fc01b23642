import type { ExtensionDef } from '../../../lib/definitions.js';

export const exposeL3ConntrackHelper: ExtensionDef = {
  alias: 'expose-l3-conntrack-helper',
  name: 'Expose CT target rules for conntrack helper',
  description: 'Expose allow adding CT target rules for conntrack helper',
  updated: '2019-04-04T10:00:00-00:00',
  requires: ['router', 'l3-conntrack-helper'],
  attributes: {
    routers: { conntrack_helpers: { allowPost: false, allowPut: false, isVisible: true, default: null } },
  },
};
