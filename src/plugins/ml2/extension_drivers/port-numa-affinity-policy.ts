import { UNBOUND_VIF_TYPES } from '../../../lib/constants.js';
import { PortBoundNUMAAffinityPolicy } from '../../../lib/errors.js';
import type { ApiModel } from '../../../api/model.js';
import type { EventRegistry } from '../../../registry/events.js';

/** port_numa_affinity_policy: the policy of a bound port is not changed under the VM using it. */
export function portNumaAffinityPolicyDriver(events: EventRegistry, api: ApiModel): void {
  if (!api.hasExtension('port-numa-affinity-policy')) return;
  events.subscribe('port', 'before_update', (_tx, { original, changes }) => {
    if (!('numa_affinity_policy' in changes)) return;
    const vifType = original['binding:vif_type'] as string | null | undefined;
    if (vifType && !UNBOUND_VIF_TYPES.includes(vifType)) {
      throw new PortBoundNUMAAffinityPolicy({
        port_id: original.id as string, host_id: original['binding:host_id'] as string, numa_affinity_policy: changes.numa_affinity_policy as string | null,
      });
    }
  });
}
