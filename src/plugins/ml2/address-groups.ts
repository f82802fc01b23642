import { validateSubnetList } from '../../lib/address-validators.js';
import { cidrToString, toCidr } from '../../lib/address.js';
import { UNSET } from '../../lib/attributes.js';
import { ACCESS_SHARED } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { AddressesAlreadyExist, AddressesNotFound, AddressGroupInUse, AddressGroupNotFound, HTTPBadRequest } from '../../lib/errors.js';
import { pyRepr } from '../../lib/attributes.js';
import { forUpdate } from '../../db/database.js';
import type { Queryable, Tx } from '../../db/schema.js';
import type { MemberAction } from '../../registry/handler.js';
import type { RbacObjectTypes } from '../../registry/rbac.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { ApiModel } from '../../api/model.js';
import { addressGroupSharing } from './sharing.js';

/** Neutron's _process_requested_addresses: each as network/prefixlen, without repeats. */
function normalize(addresses: string[]): string[] {
  return [...new Set(addresses.map((a) => cidrToString(toCidr(a))))];
}

function actionAddresses(body: Item | undefined): string[] {
  const addresses = body?.addresses;
  const msg = addresses === undefined ? 'Missing addresses' : validateSubnetList(addresses);
  if (msg) throw new HTTPBadRequest(`Invalid input for addresses. Reason: ${msg}.`);
  return normalize(addresses as string[]);
}

/** add_addresses / remove_addresses: the group's addresses change, and the group is answered. */
function addressAction(store: Store, resource: () => SqlResource, op: 'add' | 'remove'): MemberAction {
  return async (ctx, id, body, opts) => {
    const given = actionAddresses(body);
    let original: Item = {};
    const answer = await resource().db.write(async (tx) => {
      const current = original = await resource().loadForWrite(tx, ctx, id, opts);
      const have = new Set(current.addresses as string[]);
      if (op === 'add') {
        const present = given.filter((a) => have.has(a));
        if (present.length) throw new AddressesAlreadyExist({ addresses: pyRepr(present), address_group_id: id });
        if (given.length) await tx.insertInto('address_associations').values(given.map((address) => ({ address_group_id: id, address }))).execute();
      } else {
        const missing = given.filter((a) => !have.has(a));
        if (missing.length) throw new AddressesNotFound({ addresses: pyRepr(missing), address_group_id: id });
        if (given.length) await tx.deleteFrom('address_associations').where('address_group_id', '=', id).where('address', 'in', given).execute();
      }
      await bumpRevision(tx, 'address_groups', id);
      return resource().load(tx, id, ctx);
    });
    // as Neutron publishes AFTER_UPDATE: agents are told of the new addresses
    await store.events.committed('after_update', { resource: 'address_group', context: ctx, original, changes: { addresses: answer.addresses }, current: answer, nested: false });
    return { address_group: answer };
  };
}

/** Whether the rule's project may refer to the group: its own, or shared with it (any group for an admin). */
export async function checkAddressGroup(q: Queryable, ctx: RequestContext, id: string, projectId: unknown): Promise<void> {
  let qb = q.selectFrom('address_groups').select('id').where('id', '=', id);
  if (!ctx.isAdmin) qb = addressGroupSharing.scope(qb, (projectId as string | null) ?? null);
  // locked: a deletion of the group (or of its sharing) waits for this rule, and then sees it
  if (!(await forUpdate(q, qb).executeTakeFirst())) throw new AddressGroupNotFound({ address_group_id: id });
}

const rulesUsing = (q: Queryable, id: string) => q.selectFrom('security_group_rules').where('remote_address_group_id', '=', id);

/** /v2.0/address-groups (Neutron's AddressGroupDbMixin), shareable through RBAC (object_type address_group). */
export function createAddressGroupResource(store: Store, api: ApiModel, types: RbacObjectTypes): SqlResource {
  types.register({
    type: 'address_group',
    table: 'address_groups',
    actions: [ACCESS_SHARED],
    boundProjects: async (q, id) => new Set((await rulesUsing(q, id).select('project_id').distinct().execute())
      .map((r) => r.project_id).filter((p): p is string => p !== null)),
  });
  const resource: SqlResource = new SqlResource(store, api.resources.get('address_groups')!, {
    notFound: (id) => new AddressGroupNotFound({ address_group_id: id }),
    scope: (qb, ctx) => addressGroupSharing.scope(qb, ctx.projectId),
    extend: (q, groups, ctx) => addressGroupSharing.loadShared(q, groups, ctx.projectId),
    async beforeCreate(_tx, { current: group }) {
      group.addresses = group.addresses === UNSET ? [] : normalize(group.addresses as string[]);
      delete group.shared;
    },
    async beforeDelete(tx, { current: group }) {
      const id = group.id as string;
      if (await rulesUsing(tx, id).select('id').limit(1).executeTakeFirst()) throw new AddressGroupInUse({ address_group_id: id });
      await addressGroupSharing.removeEntries(tx, id);
    },
    actions: { add_addresses: addressAction(store, () => resource, 'add'), remove_addresses: addressAction(store, () => resource, 'remove') },
  });
  return resource;
}

/** A rule naming a remote address group, inside its create transaction. */
export async function checkRuleAddressGroup(tx: Tx, ctx: RequestContext, rule: Item): Promise<void> {
  if (rule.remote_address_group_id) await checkAddressGroup(tx, ctx, rule.remote_address_group_id as string, rule.project_id);
}
