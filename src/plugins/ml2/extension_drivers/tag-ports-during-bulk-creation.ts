import type { ApiModel } from '../../../api/model.js';
import type { EventRegistry } from '../../../registry/events.js';

/**
 * tag_ports_during_bulk_creation: the store keeps the tags given in a port's POST. Without the
 * driver Neutron accepts them and keeps none, so they are dropped here.
 */
export function tagPortsDuringBulkCreationDriver(events: EventRegistry, api: ApiModel): void {
  if (!api.resources.get('ports')?.attributes.tags?.allowPost || api.hasExtension('tag-ports-during-bulk-creation')) return;
  events.subscribe('port', 'before_create', (_tx, { current }) => { current.tags = []; });
}
