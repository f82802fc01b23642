import type { ExtensionDef } from '../../../lib/definitions.js';

/** A port's ip_allocation: immediate, deferred (on a routed network, until its host is known) or none. */
export const ipAllocation: ExtensionDef = {
  alias: 'ip_allocation',
  name: 'IP Allocation',
  description: 'IP allocation extension.',
  updated: '2016-06-10T23:00:00-00:00',
  attributes: {
    ports: {
      ip_allocation: { allowPost: false, allowPut: false, isVisible: true, isFilter: true, isSort: true, column: 'ip_allocation', kind: 'string' },
    },
  },
};
