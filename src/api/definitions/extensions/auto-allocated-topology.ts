import { toBoolean } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/**
 * GET/DELETE /v2.0/auto-allocated-topology/<project_id> (served as routes by the auto_allocate
 * plugin: a GET may build the topology) and the external networks' is_default.
 */
export const autoAllocatedTopology: ExtensionDef = {
  alias: 'auto-allocated-topology',
  name: 'Auto Allocated Topology Services',
  description: 'Auto Allocated Topology Services.',
  updated: '2016-01-01T00:00:00-00:00',
  requires: ['router', 'subnet_allocation', 'external-net'],
  attributes: {
    networks: {
      is_default: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: false, convert: toBoolean,
        enforcePolicy: true, requiredByPolicy: true, column: 'is_default', kind: 'bool',
      },
    },
  },
};
