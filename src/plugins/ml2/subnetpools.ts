import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { validateSubnetList } from '../../lib/address-validators.js';
import {
  bitsOf, cidrRange, cidrToString, rangesOverlap, rangeToCidrs, subtractRanges, toCidr, type Cidr, type IpVersion,
} from '../../lib/address.js';
import { UNSET } from '../../lib/attributes.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  AddressScopeNotFound, AddressScopePrefixConflict, BadRequest, EmptySubnetPoolPrefixList, HTTPBadRequest,
  IllegalSubnetPoolIpVersionAssociationToAddressScope, IllegalSubnetPoolPrefixBounds, IllegalSubnetPoolPrefixUpdate,
  IllegalSubnetPoolUpdate, InvalidInput, MaxPrefixSubnetAllocationError, MinPrefixSubnetAllocationError,
  NetworkAddressScopeAffinityError, PrefixVersionMismatch, SubnetAllocationError, SubnetPoolDeleteError,
  SubnetPoolNotFound, SubnetPoolQuotaExceeded, NetworkNotFound, NotAuthorized,
} from '../../lib/errors.js';
import { inChunks } from '../../db/chunks.js';
import { forUpdate } from '../../db/database.js';
import type { Queryable, SubnetpoolsTable, Tx } from '../../db/schema.js';
import { compactCidrs, findFreeSubnet, fitsInFreeBlock, quotaUnits } from '../../ipam/prefixes.js';
import type { MemberAction } from '../../registry/handler.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { ApiModel } from '../../api/model.js';
import { networkAccess } from './network-access.js';
import { addressScopeSharing, subnetPoolSharing } from './sharing.js';

/** A subnet pool as the allocator reads it. */
export interface SubnetPool {
  id: string;
  projectId: string | null;
  ipVersion: IpVersion;
  prefixes: string[];
  minPrefixlen: number;
  maxPrefixlen: number;
  defaultPrefixlen: number;
  defaultQuota: number | null;
  addressScopeId: string | null;
  hash: string;
}

function toPool(row: Selectable<SubnetpoolsTable>, prefixes: string[]): SubnetPool {
  return {
    id: row.id, projectId: row.project_id, ipVersion: Number(row.ip_version) as IpVersion, prefixes,
    minPrefixlen: Number(row.min_prefixlen), maxPrefixlen: Number(row.max_prefixlen), defaultPrefixlen: Number(row.default_prefixlen),
    defaultQuota: row.default_quota === null ? null : Number(row.default_quota), addressScopeId: row.address_scope_id, hash: row.hash,
  };
}

/** The pool as the caller may see it (owner or shared), else SubnetPoolNotFound. */
export async function loadSubnetPool(q: Queryable, ctx: RequestContext | null, id: string): Promise<SubnetPool> {
  let qb = q.selectFrom('subnetpools').selectAll().where('id', '=', id);
  if (ctx && !ctx.isAdmin && !ctx.isAdvsvc) qb = subnetPoolSharing.scope(qb, ctx.projectId);
  const row = await qb.executeTakeFirst();
  if (!row) throw new SubnetPoolNotFound({ subnetpool_id: id });
  const prefixes = await q.selectFrom('subnetpool_prefixes').select('cidr').where('subnetpool_id', '=', id).execute();
  return toPool(row, compactCidrs(prefixes.map((p) => p.cidr)).map(cidrToString));
}

/** The default pool of an IP version that the caller sees, if any. */
export async function defaultSubnetPoolId(q: Queryable, ctx: RequestContext, ipVersion: number): Promise<string | null> {
  let qb = q.selectFrom('subnetpools').select('id').where('is_default', '=', 1).where('ip_version', '=', ipVersion);
  if (!ctx.isAdmin && !ctx.isAdvsvc) qb = subnetPoolSharing.scope(qb, ctx.projectId);
  return (await qb.limit(1).executeTakeFirst())?.id ?? null;
}

/** What a subnet asks of its pool: a specific CIDR, or any block of a prefix length. */
export interface PrefixRequest {
  cidr: Cidr | null;
  prefixlen: number;
  projectId: string | null;
}

/**
 * neutron.ipam.subnet_alloc.SubnetAllocator.allocate_subnet: bounds, then the pool's row is locked
 * so that allocations from one pool take turns (Neutron changes the pool's hash to make the loser
 * of a race start again; queueing on the lock keeps a long transaction from losing every time),
 * then the quota, then the most specific free block that fits (or the requested CIDR, if it lies
 * inside a free block).
 */
export async function allocatePrefix(tx: Tx, pool: SubnetPool, req: PrefixRequest): Promise<Cidr> {
  if (req.prefixlen > pool.maxPrefixlen) throw new MaxPrefixSubnetAllocationError({ prefixlen: req.prefixlen, max_prefixlen: pool.maxPrefixlen });
  if (req.prefixlen < pool.minPrefixlen) throw new MinPrefixSubnetAllocationError({ prefixlen: req.prefixlen, min_prefixlen: pool.minPrefixlen });
  await forUpdate(tx, tx.selectFrom('subnetpools').select('id').where('id', '=', pool.id)).execute();
  await tx.updateTable('subnetpools').set({ hash: randomUUID() }).where('id', '=', pool.id).execute();
  // read again under the lock: the caller read the pool before it
  const prefixes = compactCidrs((await tx.selectFrom('subnetpool_prefixes').select('cidr').where('subnetpool_id', '=', pool.id).execute())
    .map((p) => p.cidr)).map(cidrToString);
  const subnets = await tx.selectFrom('subnets').select(['cidr', 'project_id']).where('subnetpool_id', '=', pool.id).execute();
  if (pool.defaultQuota) {
    const used = subnets.filter((s) => s.project_id === req.projectId)
      .reduce((n, s) => n + quotaUnits(pool.ipVersion, toCidr(s.cidr).prefixlen), 0);
    if (used + quotaUnits(pool.ipVersion, req.prefixlen) > pool.defaultQuota) throw new SubnetPoolQuotaExceeded();
  }
  const allocated = subnets.map((s) => s.cidr as string);
  if (req.cidr) {
    if (!fitsInFreeBlock(prefixes, allocated, req.cidr)) {
      throw new SubnetAllocationError({ reason: 'Cannot allocate requested subnet from the available set of prefixes' });
    }
    return req.cidr;
  }
  const found = findFreeSubnet(prefixes, allocated, req.prefixlen);
  if (!found) throw new SubnetAllocationError({ reason: `Insufficient prefix space to allocate subnet size /${req.prefixlen}` });
  return found;
}

// The subnetpools resource -------------------------------------------------------------------

const VERSION_DEFAULTS: Record<IpVersion, { min: number; max: number; quotaUnit: number }> = {
  4: { min: 8, max: 32, quotaUnit: 32 },
  6: { min: 64, max: 128, quotaUnit: 64 },
};

/** SubnetPoolReader: prefixes compacted, the IP version read from them, prefix bounds defaulted and checked. */
function readPool(sp: Item): void {
  const prefixes = sp.prefixes as string[];
  if (!prefixes.length) throw new EmptySubnetPoolPrefixList();
  const cidrs = prefixes.map((p) => toCidr(p));
  const version = cidrs[0]!.version;
  if (cidrs.some((c) => c.version !== version)) throw new PrefixVersionMismatch();
  sp.ip_version = version;
  sp.prefixes = compactCidrs(cidrs).map(cidrToString);
  if (sp.default_quota === UNSET) sp.default_quota = null;
  const d = VERSION_DEFAULTS[version];
  if (sp.min_prefixlen === UNSET) sp.min_prefixlen = d.min;
  if (sp.max_prefixlen === UNSET) sp.max_prefixlen = d.max;
  if (sp.default_prefixlen === UNSET) sp.default_prefixlen = sp.min_prefixlen;
  const [min, max, def] = [sp.min_prefixlen, sp.max_prefixlen, sp.default_prefixlen] as number[];
  const bounds = (prefix_type: string, prefixlen: number, base_prefix_type: string, base_prefixlen: number) =>
    new IllegalSubnetPoolPrefixBounds({ prefix_type, prefixlen, base_prefix_type, base_prefixlen });
  if (min! > max!) throw bounds('min_prefixlen', min!, 'max_prefixlen', max!);
  if (max! > bitsOf(version)) throw bounds('max_prefixlen', max!, 'ip_version_max', bitsOf(version));
  if (def! < min!) throw bounds('default_prefixlen', def!, 'min_prefixlen', min!);
  if (def! > max!) throw bounds('default_prefixlen', def!, 'max_prefixlen', max!);
  if (sp.address_scope_id === UNSET) sp.address_scope_id = null;
}

async function checkDefaultUnique(tx: Tx, ipVersion: number, exceptId: string): Promise<void> {
  const other = await tx.selectFrom('subnetpools').select('id').where('is_default', '=', 1)
    .where('ip_version', '=', ipVersion).where('id', '!=', exceptId).limit(1).executeTakeFirst();
  if (other) {
    throw new InvalidInput({ error_message: 'A default subnetpool for this IP family has already been set. Only one default may exist per IP family' });
  }
}

/**
 * _validate_address_scope_id: the scope must be visible and of the pool's IP version, re-scoping
 * must not split the address family of a network, and the pools of one scope must not overlap.
 */
async function checkAddressScope(tx: Tx, ctx: RequestContext, sp: Item): Promise<void> {
  const scopeId = sp.address_scope_id as string | null;
  if (!scopeId) return;
  let qb = tx.selectFrom('address_scopes').selectAll().where('id', '=', scopeId);
  if (!ctx.isAdmin && !ctx.isAdvsvc) qb = addressScopeSharing.scope(qb, ctx.projectId);
  const scope = await qb.executeTakeFirst();
  if (!scope) throw new AddressScopeNotFound({ address_scope_id: scopeId });
  if (Number(scope.ip_version) !== sp.ip_version) {
    throw new IllegalSubnetPoolIpVersionAssociationToAddressScope({ subnetpool_id: sp.id as string, address_scope_id: scopeId, ip_version: Number(scope.ip_version) });
  }
  const mine = await tx.selectFrom('subnets').select('network_id').where('subnetpool_id', '=', sp.id as string).execute();
  if (mine.length) {
    const strays = await tx.selectFrom('subnets').select('id')
      .where('network_id', 'in', [...new Set(mine.map((s) => s.network_id))]).where('ip_version', '=', sp.ip_version as number)
      .where((eb) => eb.or([eb('subnetpool_id', 'is', null), eb('subnetpool_id', '!=', sp.id as string)])).limit(1).execute();
    if (strays.length) throw new NetworkAddressScopeAffinityError();
  }
  const others = await tx.selectFrom('subnetpool_prefixes').innerJoin('subnetpools', 'subnetpools.id', 'subnetpool_prefixes.subnetpool_id')
    .select('subnetpool_prefixes.cidr').where('subnetpools.address_scope_id', '=', scopeId).where('subnetpools.id', '!=', sp.id as string).execute();
  const theirs = others.map((o) => cidrRange(toCidr(o.cidr)));
  const ours = (sp.prefixes as string[]).map((p) => cidrRange(toCidr(p)));
  if (ours.some((a) => theirs.some((b) => rangesOverlap(a, b)))) throw new AddressScopePrefixConflict();
}

async function storePrefixes(tx: Tx, id: string, prefixes: string[]): Promise<void> {
  await tx.deleteFrom('subnetpool_prefixes').where('subnetpool_id', '=', id).execute();
  await tx.insertInto('subnetpool_prefixes').values(prefixes.map((cidr) => ({ subnetpool_id: id, cidr }))).execute();
}

/** The prefixes of an add_prefixes / remove_prefixes body, checked as subnet_list. */
function actionPrefixes(body: Item | undefined): string[] {
  const prefixes = body?.prefixes;
  if (prefixes === undefined) throw new BadRequest({ resource: 'subnetpool', msg: 'Missing prefixes' });
  const msg = validateSubnetList(prefixes);
  if (msg) throw new HTTPBadRequest(`Invalid input for prefixes. Reason: ${msg}.`);
  return prefixes as string[];
}

/**
 * add_prefixes / remove_prefixes: the pool's prefixes change as a normal update would, then the
 * new list is answered.
 */
function prefixAction(resource: () => SqlResource, op: 'add' | 'remove'): MemberAction {
  return async (ctx, id, body, opts) => {
    const given = actionPrefixes(body);
    const answer = await resource().db.write(async (tx) => {
      const current = await resource().loadForWrite(tx, ctx, id, opts);
      const prefixes = current.prefixes as string[];
      if (!given.length) return prefixes;
      let next: string[];
      if (op === 'add') {
        next = compactCidrs([...prefixes, ...given]).map(cidrToString);
      } else {
        const removal = given.map((p) => cidrRange(toCidr(p)));
        const all = prefixes.map((p) => cidrRange(toCidr(p)));
        if (!all.some((a) => removal.some((r) => rangesOverlap(a, r)))) return prefixes;
        const subnets = await tx.selectFrom('subnets').select('cidr').where('subnetpool_id', '=', id).execute();
        if (subnets.some((s) => removal.some((r) => rangesOverlap(cidrRange(toCidr(s.cidr)), r)))) {
          throw new IllegalSubnetPoolPrefixUpdate({ msg: 'One or more the prefixes to be removed is in use by a subnet.' });
        }
        next = compactCidrs(subtractRanges(all, removal).flatMap(rangeToCidrs)).map(cidrToString);
      }
      const updated: Item = { ...current, prefixes: next };
      readPool(Object.assign(updated, {
        min_prefixlen: Number(current.min_prefixlen), max_prefixlen: Number(current.max_prefixlen), default_prefixlen: Number(current.default_prefixlen),
      }));
      await checkAddressScope(tx, ctx, updated);
      await storePrefixes(tx, id, updated.prefixes as string[]);
      await bumpRevision(tx, 'subnetpools', id);
      return updated.prefixes as string[];
    });
    return { prefixes: answer };
  };
}

/**
 * subnet_onboard: PUT /v2.0/subnetpools/<id>/onboard_network_subnets {"network_id"}: the network's
 * subnets of the pool's IP version join the pool, their CIDRs added to its prefixes, unless one
 * overlaps a subnet the pool already allocated. Answers [{id, cidr}] of the subnets onboarded.
 */
function onboardAction(resource: () => SqlResource): MemberAction {
  return async (ctx, id, body, opts) => {
    const networkId = body?.network_id;
    return resource().db.write(async (tx) => {
      const current = await resource().loadForWrite(tx, ctx, id, opts);
      if (networkId === undefined || networkId === null) throw new InvalidInput({ error_message: 'network_id must be specified.' });
      const network = await networkAccess(tx, ctx, String(networkId));
      if (!network?.visible) throw new NetworkNotFound({ net_id: String(networkId) });
      // no one else's subnets move into a caller's pool
      if (!ctx.isAdmin && network.projectId !== ctx.projectId) throw new NotAuthorized();
      const subnets = await tx.selectFrom('subnets').select(['id', 'cidr']).where('network_id', '=', network.id)
        .where('ip_version', '=', Number(current.ip_version)).orderBy('id').execute();
      const allocated = (await tx.selectFrom('subnets').select('cidr').where('subnetpool_id', '=', id).execute()).map((s) => cidrRange(toCidr(s.cidr)));
      for (const s of subnets) {
        if (allocated.some((a) => rangesOverlap(a, cidrRange(toCidr(s.cidr))))) {
          throw new IllegalSubnetPoolUpdate({ reason: `Onboarding subnet ${s.id}: ${s.cidr} conflicts with allocated prefixes in subnet pool ${id}` });
        }
      }
      const updated: Item = {
        ...current, prefixes: compactCidrs([...(current.prefixes as string[]), ...subnets.map((s) => s.cidr)]).map(cidrToString),
        min_prefixlen: Number(current.min_prefixlen), max_prefixlen: Number(current.max_prefixlen), default_prefixlen: Number(current.default_prefixlen),
      };
      readPool(updated);
      await checkAddressScope(tx, ctx, updated);
      await storePrefixes(tx, id, updated.prefixes as string[]);
      await bumpRevision(tx, 'subnetpools', id);
      for (const s of subnets) await bumpRevision(tx, 'subnets', s.id, { subnetpool_id: id });
      return subnets.map((s) => ({ id: s.id, cidr: s.cidr }));
    });
  };
}

export function createSubnetPoolResource(store: Store, api: ApiModel): SqlResource {
  const resource: SqlResource = new SqlResource(store, api.resources.get('subnetpools')!, {
    notFound: (id) => new SubnetPoolNotFound({ subnetpool_id: id }),
    scope: (qb, ctx) => subnetPoolSharing.scope(qb, ctx.projectId),
    filters: { shared: (qb, values, ctx) => subnetPoolSharing.sharedFilter(qb, values, ctx.projectId) },
    async extend(q, pools, ctx) {
      const prefixes = new Map<string, string[]>();
      await inChunks(pools.map((p) => p.id as string), async (chunk) => {
        for (const r of await q.selectFrom('subnetpool_prefixes').selectAll().where('subnetpool_id', 'in', chunk).execute()) {
          const list = prefixes.get(r.subnetpool_id) ?? [];
          list.push(r.cidr);
          prefixes.set(r.subnetpool_id, list);
        }
      });
      await subnetPoolSharing.loadShared(q, pools, ctx.projectId);
      for (const p of pools) {
        p.prefixes = compactCidrs(prefixes.get(p.id as string) ?? []).map(cidrToString);
        // Neutron answers the three prefix lengths as strings
        for (const k of ['default_prefixlen', 'min_prefixlen', 'max_prefixlen']) p[k] = String(p[k]);
      }
    },
    async beforeCreate(tx, { context: ctx, current: sp }) {
      readPool(sp);
      if (sp.is_default) await checkDefaultUnique(tx, sp.ip_version as number, sp.id as string);
      await checkAddressScope(tx, ctx, sp);
      sp.hash = '';
    },
    async afterCreate(tx, { current: sp }) {
      await storePrefixes(tx, sp.id as string, sp.prefixes as string[]);
      if (sp.shared === true) await subnetPoolSharing.share(tx, sp);
    },
    async beforeUpdate(tx, { context: ctx, original: current, changes: ch }) {
      const updated: Item = {
        ...current, ...ch,
        min_prefixlen: Number(ch.min_prefixlen ?? current.min_prefixlen),
        max_prefixlen: Number(ch.max_prefixlen ?? current.max_prefixlen),
        default_prefixlen: Number(ch.default_prefixlen ?? current.default_prefixlen),
      };
      if ('prefixes' in ch) {
        const next = (ch.prefixes as string[]).map((p) => toCidr(p));
        const lost = subtractRanges((current.prefixes as string[]).map((p) => cidrRange(toCidr(p))), next.map(cidrRange));
        if (lost.length || next.some((c) => c.version !== current.ip_version)) {
          throw new IllegalSubnetPoolPrefixUpdate({ msg: 'Existing prefixes must be a subset of the new prefixes' });
        }
      }
      readPool(updated);
      if (updated.is_default && !current.is_default) await checkDefaultUnique(tx, updated.ip_version as number, current.id as string);
      if (current.address_scope_id && !ctx.isAdmin) {
        const scope = await tx.selectFrom('address_scopes').select('project_id').where('id', '=', current.address_scope_id as string).executeTakeFirst();
        if (!scope) throw new AddressScopeNotFound({ address_scope_id: current.address_scope_id as string });
        if (scope.project_id !== ctx.projectId) {
          throw new IllegalSubnetPoolUpdate({ reason: `subnetpool ${current.id} cannot be updated when associated with shared address scope ${current.address_scope_id}` });
        }
      }
      await checkAddressScope(tx, ctx, updated);
      if ('prefixes' in ch) await storePrefixes(tx, current.id as string, updated.prefixes as string[]);
      for (const k of ['min_prefixlen', 'max_prefixlen', 'default_prefixlen', 'address_scope_id', 'default_quota'] as const) {
        if (k in ch) ch[k] = updated[k];
      }
      if (ch.address_scope_id === UNSET) ch.address_scope_id = null;
      delete ch.prefixes;
    },
    async beforeDelete(tx, { current: sp }) {
      const used = await tx.selectFrom('subnets').select('id').where('subnetpool_id', '=', sp.id as string).limit(1).executeTakeFirst();
      if (used) throw new SubnetPoolDeleteError({ reason: 'Subnet pool has existing allocations' });
      await subnetPoolSharing.removeEntries(tx, sp.id as string);
    },
    actions: {
      add_prefixes: prefixAction(() => resource, 'add'), remove_prefixes: prefixAction(() => resource, 'remove'),
      ...(api.hasExtension('subnet_onboard') ? { onboard_network_subnets: onboardAction(() => resource) } : {}),
    },
  });
  return resource;
}
