import { ACCESS_EXTERNAL, ACCESS_SHARED } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { HTTPForbidden, NetworkNotFound } from '../../lib/errors.js';
import { inChunks } from '../../db/chunks.js';
import { prepared, PreparedIn } from '../../db/prepared.js';
import type { Queryable, Select } from '../../db/schema.js';
import type { WriteEvent } from '../../registry/events.js';

declare module '../../registry/events.js' {
  interface WriteEvent {
    /**
     * A port's or subnet's network as the create's policy check read it: the create takes it from
     * here instead of reading it again. A network deleted in between fails the insert's foreign
     * key, and the run of the transaction that follows (which has no `network`) finds it gone.
     */
    network?: NetworkAccess;
  }
}

export interface NetworkAccess {
  id: string;
  projectId: string;
  /** shared with the caller (or everyone) */
  shared: boolean;
  /** the caller may see it: owner, shared or external */
  visible: boolean;
  /** the network's port_security_enabled, its ports' default */
  portSecurityEnabled: boolean;
}

const rbacFor = (eb: any, action: string, projects: [unknown, unknown]) => eb.exists(eb.selectFrom('rbac_entries').select('object_id')
  .whereRef('object_id', '=', 'networks.id').where('object_type', '=', 'network').where('action', '=', action)
  .where('target_project', 'in', projects));

const networkWithAccess = prepared<{ id: string; project: string | null }>((q, p) => q.selectFrom('networks')
  .select(['networks.id', 'networks.project_id', 'networks.port_security_enabled'])
  .select((eb) => [rbacFor(eb, ACCESS_SHARED, ['*', p.project]).as('shared'), rbacFor(eb, ACCESS_EXTERNAL, ['*', p.project]).as('external')])
  .where('networks.id', '=', p.id));

/** The parent network of a port or subnet as the caller stands to it, in one query. */
export async function networkAccess(q: Queryable, ctx: RequestContext, networkId: string): Promise<NetworkAccess | null> {
  // without a project, ['*', null] is ['*']: nothing equals NULL
  const row = await networkWithAccess.first(q, { id: networkId, project: ctx.projectId ?? null });
  if (!row) return null;
  const shared = !!Number(row.shared);
  const visible = ctx.isAdmin || ctx.isAdvsvc || shared || !!Number(row.external) || row.project_id === ctx.projectId;
  return { id: row.id, projectId: row.project_id, shared, visible, portSecurityEnabled: !!Number(row.port_security_enabled) };
}

const networkOwners = new PreparedIn<{ project: string | null }>((q, ids, p) => q.selectFrom('networks')
  .select(['networks.id', 'networks.project_id', (eb) => rbacFor(eb, ACCESS_SHARED, ['*', p.project]).as('shared')])
  .where('networks.id', 'in', ids as string[]));

/**
 * `network:tenant_id` and `network:shared` for ports or subnets being shown, set-based: policy
 * rules read them, and an update's or delete's policy check (inside its transaction) finds them
 * on the loaded object instead of querying again.
 */
export async function addNetworkFields(q: Queryable, ctx: RequestContext, all: Item[]): Promise<void> {
  // those read with their row have them (networkFieldsWithRow)
  const items = all.filter((i) => !('network:tenant_id' in i));
  if (!items.length) return;
  const ids = [...new Set(items.map((i) => i.network_id as string))];
  const nets = new Map<string, { project_id: string | null; shared: unknown }>();
  await inChunks(ids, async (chunk) => {
    // without a project, ['*', null] is ['*']: nothing equals NULL
    for (const r of await networkOwners.rows(q, chunk, { project: ctx.projectId ?? null })) nets.set(r.id, r);
  });
  for (const item of items) {
    const net = nets.get(item.network_id as string);
    item['network:tenant_id'] = net?.project_id ?? null;
    item['network:shared'] = !!Number(net?.shared ?? 0);
  }
}

/**
 * addNetworkFields as a strategy's withRow (registry/resource.ts): subqueries of the SELECT of one
 * port or subnet, one statement less. They take no lock when the row is selected FOR UPDATE.
 */
export function networkFieldsWithRow(table: 'ports' | 'subnets') {
  const networkId = `${table}.network_id`;
  return {
    select: (qb: Select, projectId: unknown) => qb.select((eb: any) => [
      eb.selectFrom('networks').select('networks.project_id').whereRef('networks.id', '=', networkId).as('network:tenant_id'),
      eb.exists(eb.selectFrom('rbac_entries').select('object_id').whereRef('object_id', '=', networkId)
        .where('object_type', '=', 'network').where('action', '=', ACCESS_SHARED).where('target_project', 'in', ['*', projectId])).as('network:shared'),
    ]),
    read(row: Record<string, unknown>, item: Item) {
      item['network:tenant_id'] = row['network:tenant_id'] ?? null;
      item['network:shared'] = !!Number(row['network:shared'] ?? 0);
    },
  };
}

/**
 * The policy target of a port or subnet: the item plus `network:tenant_id` and `network:shared`.
 * On create (no id yet) it is also Neutron's ownership hook: the network must be visible (else 404)
 * and, for callers other than admin and advsvc, owned by the item's project or shared (else 403).
 */
export async function networkPolicyTarget(q: Queryable, ctx: RequestContext, item: Item, resource: 'port' | 'subnet', reads: Partial<WriteEvent>): Promise<Item> {
  if (item.id !== undefined && 'network:tenant_id' in item) return item;
  const networkId = item.network_id as string;
  const net = await networkAccess(q, ctx, networkId);
  if (!net || !net.visible) throw new NetworkNotFound({ net_id: networkId });
  if (item.id === undefined && !ctx.isAdmin && !ctx.isAdvsvc && !net.shared && net.projectId !== item.tenant_id) {
    throw new HTTPForbidden(`Tenant ${item.tenant_id} not allowed to create ${resource} on this network`);
  }
  if (item.id === undefined) reads.network = net;
  return { ...item, 'network:tenant_id': net.projectId, 'network:shared': net.shared };
}
