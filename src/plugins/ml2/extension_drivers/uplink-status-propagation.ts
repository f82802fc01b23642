import type { ApiModel } from '../../../api/model.js';
import type { EventRegistry } from '../../../registry/events.js';

/** uplink_status_propagation: ports created before the driver was configured propagate, as Neutron assumes. */
export function uplinkStatusPropagationDriver(events: EventRegistry, api: ApiModel): void {
  if (!api.hasExtension('uplink-status-propagation')) return;
  events.extend('port', async (_q, ports, _ctx, wanted) => {
    if (wanted && !wanted.has('propagate_uplink_status')) return;
    for (const p of ports) p.propagate_uplink_status ??= true;
  });
}
