import { AddressScopeInUse, AddressScopeNotFound, AddressScopeUpdateError } from '../../lib/errors.js';
import type { ApiModel } from '../../api/model.js';
import { inChunks } from '../../db/chunks.js';
import type { Database } from '../../db/database.js';
import { SqlResource, type ResourceHooks } from '../../registry/resource.js';
import { addSharedEntry, rbacVisibleIds } from './subnetpools.js';
import type { ResourceHandler } from '../../registry/handler.js';

/** /v2.0/address-scopes: sharing is an RBAC entry (object_type address_scope), as Neutron keeps it. */
export function createAddressScopeResource(db: Database, api: ApiModel): SqlResource & ResourceHandler {
  const def = api.resources.get('address_scopes')!;
  const hooks: ResourceHooks = {
    scope: (qb, ctx) => qb.where((eb) => eb.or([
      eb('address_scopes.project_id', '=', ctx.projectId),
      eb('address_scopes.id', 'in', rbacVisibleIds(eb as any, 'address_scope', ctx.projectId)),
    ])),
    filters: {
      shared: (qb, values, ctx) => {
        const want = values.map(Boolean);
        if (want.includes(true) && want.includes(false)) return qb;
        return qb.where((eb) => eb('address_scopes.id', want[0] ? 'in' : 'not in', rbacVisibleIds(eb as any, 'address_scope', ctx.projectId)));
      },
    },
    async extend(q, scopes, ctx) {
      const shared = new Set<string>();
      await inChunks(scopes.map((s) => s.id as string), async (chunk) => {
        for (const r of await rbacVisibleIds(q, 'address_scope', ctx.projectId).where('object_id', 'in', chunk).execute()) shared.add(r.object_id);
      });
      for (const s of scopes) s.shared = shared.has(s.id as string);
    },
    async afterCreate(tx, _ctx, scope) {
      if (scope.shared === true) await addSharedEntry(tx, 'address_scope', scope.id as string, scope.project_id);
    },
    async beforeUpdate(tx, _ctx, current, changes) {
      if ('shared' in changes && changes.shared !== current.shared) {
        if (!changes.shared) throw new AddressScopeUpdateError({ address_scope_id: current.id as string, reason: "Shared address scope can't be unshared" });
        await addSharedEntry(tx, 'address_scope', current.id as string, current.project_id);
      }
      delete changes.shared;
    },
    async beforeDelete(tx, _ctx, scope) {
      const pool = await tx.selectFrom('subnetpools').select('id').where('address_scope_id', '=', scope.id as string).limit(1).executeTakeFirst();
      if (pool) throw new AddressScopeInUse({ address_scope_id: scope.id as string });
      await tx.deleteFrom('rbac_entries').where('object_type', '=', 'address_scope').where('object_id', '=', scope.id as string).execute();
    },
  };
  return new SqlResource(db, def, hooks, (id) => new AddressScopeNotFound({ address_scope_id: id }));
}
