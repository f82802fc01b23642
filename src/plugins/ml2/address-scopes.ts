import { AddressScopeInUse, AddressScopeNotFound, AddressScopeUpdateError } from '../../lib/errors.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import type { ApiModel } from '../../api/model.js';
import { addressScopeSharing } from './sharing.js';

/** /v2.0/address-scopes: sharing is an RBAC entry (object_type address_scope), as Neutron keeps it. */
export function createAddressScopeResource(store: Store, api: ApiModel): SqlResource {
  return new SqlResource(store, api.resources.get('address_scopes')!, {
    notFound: (id) => new AddressScopeNotFound({ address_scope_id: id }),
    scope: (qb, ctx) => addressScopeSharing.scope(qb, ctx.projectId),
    filters: { shared: (qb, values, ctx) => addressScopeSharing.sharedFilter(qb, values, ctx.projectId) },
    extend: (q, scopes, ctx) => addressScopeSharing.loadShared(q, scopes, ctx.projectId),
    async afterCreate(tx, { current: scope }) {
      if (scope.shared === true) await addressScopeSharing.share(tx, scope);
    },
    async beforeUpdate(tx, { original: current, changes }) {
      if ('shared' in changes && changes.shared !== current.shared) {
        if (!changes.shared) throw new AddressScopeUpdateError({ address_scope_id: current.id as string, reason: "Shared address scope can't be unshared" });
        await addressScopeSharing.share(tx, current);
      }
      delete changes.shared;
    },
    async beforeDelete(tx, { current: scope }) {
      const pool = await tx.selectFrom('subnetpools').select('id').where('address_scope_id', '=', scope.id as string).limit(1).executeTakeFirst();
      if (pool) throw new AddressScopeInUse({ address_scope_id: scope.id as string });
      await addressScopeSharing.removeEntries(tx, scope.id as string);
    },
  });
}
