import { validateValues } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/** neutron-lib's PORT_NUMA_POLICIES */
export const PORT_NUMA_POLICIES = ['required', 'preferred', 'legacy'] as const;

export const portNumaAffinityPolicy: ExtensionDef = {
  alias: 'port-numa-affinity-policy',
  name: 'Port NUMA affinity policy',
  description: 'Expose the port NUMA affinity policy',
  updated: '2020-07-08T10:00:00-00:00',
  attributes: {
    ports: {
      numa_affinity_policy: {
        allowPost: true, allowPut: true, isVisible: true, default: null, validate: validateValues([...PORT_NUMA_POLICIES, null]),
        child: { table: 'portnumaaffinitypolicies', parent: 'port_id', value: 'numa_affinity_policy', single: true },
      },
    },
  },
};
