import { sql } from 'kysely';
import { parseIp } from '../../lib/address.js';
import { pyRepr, pyStr } from '../../lib/attributes.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  BadRequest, ExternalGatewayForFloatingIPNotFound, FloatingIPPortAlreadyAssociated, isNeutronError, PortForwardingNotFound,
  PortHasBindingFloatingIP,
} from '../../lib/errors.js';
import { noteChange } from '../../db/changes.js';
import type { Queryable, Select, Tx } from '../../db/schema.js';
import type { ApiModel } from '../../api/model.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import { routerForFloatingIp } from '../l3/floatingips.js';

type Range = [number, number];
interface FixedIp { subnet_id: string; ip_address: string }

const pfBadRequest = (msg: string) => new BadRequest({ resource: 'port_forwarding', msg });
const isV4 = (ip: string) => parseIp(ip)?.version === 4;
const sameIp = (a: string, b: string) => {
  const x = parseIp(a);
  const y = parseIp(b);
  return !!x && !!y && x.version === y.version && x.value === y.value;
};

/** `N` or `N:M` (validated by the definition) as [first, last]. */
function parseRange(text: string): Range {
  const [a, b] = text.split(':').map(Number) as [number, number?];
  return [a, b ?? a];
}

/**
 * The external or internal range a request asks for, with its text as Neutron quotes it in
 * collision errors: the range if given, else the single port as `N:N`, else null.
 */
function requested(item: Item, which: 'external' | 'internal'): { text: string; range: Range } | null {
  const range = item[`${which}_port_range`];
  if (range !== null && range !== undefined) return { text: String(range), range: parseRange(String(range)) };
  const port = item[`${which}_port`];
  if (port !== null && port !== undefined) return { text: `${port}:${port}`, range: [port as number, port as number] };
  return null;
}

const width = (r: { range: Range } | null) => (r ? r.range[1] - r.range[0] : 0);
const collides = (a: Range, b: Range) => Math.max(a[0], b[0]) <= Math.min(a[1], b[1]);

/** A stored row's ranges, as PortForwarding objects read them. */
const externalOf = (row: Item): Range => [row.external_port as number, row.external_port_end as number];
const internalOf = (row: Item): Range => [row.internal_port as number, row.internal_port_end as number];

/** The floating IP a port forwarding belongs to, as the plugin reads it (whoever asks). */
export interface FloatingIpRow {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  fixed_port_id: string | null;
  router_id: string | null;
}

export function loadFloatingIp(q: Queryable, id: string): Promise<FloatingIpRow | undefined> {
  return q.selectFrom('floatingips').select(['id', 'floating_ip_address', 'floating_network_id', 'fixed_port_id', 'router_id'])
    .where('id', '=', id).executeTakeFirst();
}

/** A port forwarding row as the API and the agents read it (ranges as text, single ports only when they are one). */
export function portForwardingView(row: Item): Item {
  const ext = externalOf(row);
  const int = internalOf(row);
  row.external_port_range = `${ext[0]}:${ext[1]}`;
  row.internal_port_range = `${int[0]}:${int[1]}`;
  if (ext[0] !== ext[1]) row.external_port = undefined;
  if (int[0] !== int[1]) row.internal_port = undefined;
  return row;
}

/**
 * /v2.0/floatingips/<id>/port_forwardings (the generic controller checks the floating IP first):
 * Neutron's PortForwardingPlugin checks, in its order. The floating IP takes the router that
 * joins the internal port's subnet to its network, and loses it with its last forwarding.
 */
export function createPortForwardingResource(store: Store, api: ApiModel, ports: SqlResource): SqlResource {
  const def = api.resources.get('port_forwardings')!;
  const rows = (q: Queryable) => q.selectFrom('portforwardings').selectAll();
  const asItem = (r: Record<string, unknown>): Item => ({
    ...r, external_port: r.external_port_start, internal_port: r.internal_port_start,
  });

  /** _check_port_collisions: the relation of the ranges, then overlaps on the internal address and on the floating IP. */
  async function checkCollisions(tx: Tx, fipId: string, request: Item, pf: Item, id: string | null): Promise<void> {
    const external = requested(request, 'external');
    const internal = requested(request, 'internal');
    if (width(internal) > 0 && width(internal) !== width(external)) {
      throw pfBadRequest('Invalid ranges of internal and/or external ports. The relation between internal and external ports must be N-N or 1-N');
    }
    const check = (others: Item[], key: string, wanted: { text: string; range: Range }, rangeOf: (r: Item) => Range) => {
      for (const other of others) {
        if (other.id === id) continue;
        const existing = rangeOf(other);
        if (collides(existing, wanted.range)) {
          throw pfBadRequest(`There is a port collision with the ${key}. The following ranges collides: ${existing[0]}:${existing[1]} and ${wanted.text}`);
        }
      }
    };
    if (internal) {
      const same = (await rows(tx).where('internal_port_id', '=', pf.internal_port_id as string).where('protocol', '=', pf.protocol as string)
        .where('internal_ip_address', '=', pf.internal_ip_address as string).execute()).map(asItem);
      check(same, 'internal_port_range', internal, internalOf);
    }
    if (external) {
      const same = (await rows(tx).where('floatingip_id', '=', fipId).where('protocol', '=', pf.protocol as string).execute()).map(asItem);
      check(same, 'external_port_range', external, externalOf);
    }
  }

  /** _check_port_has_binding_floating_ip: the internal port has a floating IP of its own. */
  async function checkNoFloatingIp(tx: Tx, pf: Item): Promise<void> {
    const bound = await tx.selectFrom('floatingips').select(['id', 'floating_ip_address']).where('fixed_port_id', '=', pf.internal_port_id as string)
      .executeTakeFirst();
    if (bound) {
      throw new PortHasBindingFloatingIP({
        floating_ip_address: bound.floating_ip_address, fip_id: bound.id, port_id: pf.internal_port_id as string, fixed_ip: pyStr(pf.internal_ip_address ?? null),
      });
    }
  }

  /** _find_a_router_for_fip_port_forwarding: fills internal_ip_address when the request left it out. */
  async function routerFor(tx: Tx, ctx: RequestContext, pf: Item, fip: FloatingIpRow): Promise<string> {
    const portId = pf.internal_port_id as string;
    const port = await ports.load(tx, portId, ctx);
    const v4 = (port.fixed_ips as FixedIp[]).filter((f) => isV4(f.ip_address));
    if (!v4.length) throw pfBadRequest(`Requested internal port ${portId} must allocate an IPv4 address at least.`);
    let subnetId: string;
    if (!pf.internal_ip_address) {
      pf.internal_ip_address = v4[0]!.ip_address;
      subnetId = v4[0]!.subnet_id;
    } else {
      const match = v4.find((f) => sameIp(f.ip_address, pf.internal_ip_address as string));
      if (!match) {
        throw pfBadRequest(`Requested internal IP address ${pf.internal_ip_address} is not suitable for internal neutron port ${portId}, as its fixed_ips are ${pyRepr(v4)}`);
      }
      subnetId = match.subnet_id;
      pf.internal_ip_address = match.ip_address;
    }
    try {
      return await routerForFloatingIp(tx, port, subnetId, fip.floating_network_id);
    } catch (e) {
      if (!(isNeutronError(e) && e.type === ExternalGatewayForFloatingIPNotFound.type)) throw e;
      throw pfBadRequest(`External network ${fip.floating_network_id} is not reachable from subnet ${subnetId}. Cannot set Port forwarding for port ${portId} with Floating IP ${fip.id}`);
    }
  }

  /** _check_router_match: a floating IP already on a router forwards only to ports that router reaches. */
  async function checkRouterMatch(tx: Tx, fip: FloatingIpRow, routerId: string, pf: Item): Promise<void> {
    if (!fip.router_id || fip.router_id === routerId) return;
    let q = rows(tx).where('floatingip_id', '=', fip.id).where('internal_ip_address', '=', String(pf.internal_ip_address));
    q = pf.internal_port === null || pf.internal_port === undefined ? q.where(sql<boolean>`1 = 0`) : q.where('internal_port_start', '=', pf.internal_port as number);
    if (await q.executeTakeFirst()) {
      throw pfBadRequest(`Floating IP ${fip.id} with params: internal_ip_address: ${pyStr(pf.internal_ip_address)}, internal_port: ${pyStr(pf.internal_port ?? null)} already exists`);
    }
    throw pfBadRequest(`The Floating IP ${fip.id} had been set on router ${fip.router_id}, the internal Neutron port ${pf.internal_port_id} can not reach it`);
  }

  /** The stored form of the ranges a request gives: the *_port columns hold the first port, *_port_end the last. */
  function storeRanges(target: Item, request: Item): void {
    for (const which of ['external', 'internal'] as const) {
      const wanted = requested(request, which);
      delete target[`${which}_port`];
      delete target[`${which}_port_range`];
      if (!wanted) continue;
      target[`${which}_port`] = wanted.range[0];
      target[`${which}_port_end`] = wanted.range[1];
    }
  }

  const fipOf = async (tx: Tx, id: string) => (await loadFloatingIp(tx, id))!;

  return new SqlResource(store, def, {
    notFound: (id) => new PortForwardingNotFound({ id }),

    filters: {
      external_port: (qb: Select, values: unknown[]) => {
        const ports = values.map(Number).filter(Number.isInteger);
        if (!ports.length) return qb.where(sql<boolean>`1 = 0`);
        return qb.where('portforwardings.external_port_start', 'in', ports).whereRef('portforwardings.external_port_start', '=', 'portforwardings.external_port_end');
      },
      external_port_range: (qb: Select, values: unknown[]) => qb.where((eb) => eb.or(values.map((v) => {
        const [a, b] = parseRange(String(v));
        return eb.and([eb('portforwardings.external_port_start', '=', a), eb('portforwardings.external_port_end', '=', b)]);
      }))),
    },

    async extend(_q, items) {
      for (const item of items) portForwardingView(item);
    },

    async beforeCreate(tx, { context: ctx, current: pf }) {
      const fipId = pf.floatingip_id as string;
      if (!requested(pf, 'external') || !requested(pf, 'internal')) {
        throw pfBadRequest('A port forwarding needs an external and an internal port or port range');
      }
      await checkCollisions(tx, fipId, pf, pf, null);
      await checkNoFloatingIp(tx, pf);
      const fip = await fipOf(tx, fipId);
      if (fip.fixed_port_id) {
        throw new FloatingIPPortAlreadyAssociated({
          port_id: pf.internal_port_id as string, fip_id: fip.id, floating_ip_address: fip.floating_ip_address,
          fixed_ip: String(pf.internal_ip_address), net_id: fip.floating_network_id,
        });
      }
      const routerId = await routerFor(tx, ctx, pf, fip);
      await checkRouterMatch(tx, fip, routerId, pf);
      if (!fip.router_id) {
        await tx.updateTable('floatingips').set({ router_id: routerId, fixed_port_id: null }).where('id', '=', fip.id).execute();
        noteChange(tx, 'floatingips', fip.id, 'updated');
      }
      storeRanges(pf, pf);
    },

    async beforeUpdate(tx, { context: ctx, original, changes }) {
      const fip = await fipOf(tx, original.floatingip_id as string);
      if (changes.internal_port_id) await checkNoFloatingIp(tx, changes);
      if (changes.internal_port_id && changes.internal_port_id !== original.internal_port_id) {
        const routerId = await routerFor(tx, ctx, changes, fip);
        await checkRouterMatch(tx, fip, routerId, { ...changes, internal_port: changes.internal_port ?? original.internal_port ?? null });
      }
      if (changes.internal_ip_address || changes.internal_port) {
        changes.internal_ip_address ||= original.internal_ip_address;
        changes.internal_port ||= original.internal_port ?? null;
      }
      const pf = { ...original, ...changes };
      // _check_port_forwarding_update: the internal address is the port's, and no twin on the floating IP
      const port = await ports.load(tx, pf.internal_port_id as string, ctx);
      const fixedIps = port.fixed_ips as FixedIp[];
      if (!fixedIps.some((f) => sameIp(f.ip_address, pf.internal_ip_address as string))) {
        throw pfBadRequest(`The internal IP does not correspond to an address on the internal port, which has fixed_ips ${pyRepr(fixedIps)}`);
      }
      const twins = (await rows(tx).where('floatingip_id', '=', fip.id).where('protocol', '=', pf.protocol as string).where('id', '!=', pf.id as string).execute()).map(asItem);
      const single = (r: Item, which: 'external' | 'internal') => {
        const range = which === 'external' ? externalOf(r) : internalOf(r);
        return range[0] === range[1] ? range[0] : null;
      };
      const wantedExternal = requested(changes, 'external') ?? { range: externalOf(pf) };
      const wantedInternal = requested(changes, 'internal') ?? { range: internalOf(pf) };
      const ext = wantedExternal.range[0] === wantedExternal.range[1] ? wantedExternal.range[0] : null;
      const int = wantedInternal.range[0] === wantedInternal.range[1] ? wantedInternal.range[0] : null;
      for (const other of twins) {
        if (ext !== null && single(other, 'external') === ext) {
          throw pfBadRequest(`Another port forwarding entry with the same attributes already exists, conflicting values are ${pyRepr({ floating_ip_address: fip.floating_ip_address, external_port: ext })}`);
        }
        if (int !== null && other.internal_port_id === pf.internal_port_id && sameIp(other.internal_ip_address as string, pf.internal_ip_address as string) && single(other, 'internal') === int) {
          throw pfBadRequest(`Another port forwarding entry with the same attributes already exists, conflicting values are ${pyRepr({ internal_port_id: other.internal_port_id, internal_ip_address: other.internal_ip_address, internal_port: int })}`);
        }
      }
      if (['internal_port', 'internal_port_range', 'external_port', 'external_port_range'].some((k) => k in changes)) {
        await checkCollisions(tx, fip.id, changes, pf, pf.id as string);
      }
      storeRanges(changes, changes);
    },

    async beforeDelete(tx, { current: pf }) {
      const others = await rows(tx).where('floatingip_id', '=', pf.floatingip_id as string).where('id', '!=', pf.id as string).executeTakeFirst();
      if (!others) {
        await tx.updateTable('floatingips').set({ router_id: null }).where('id', '=', pf.floatingip_id as string).execute();
        noteChange(tx, 'floatingips', pf.floatingip_id as string, 'updated');
      }
    },
  });
}

/** Floating IPs left without a port forwarding (their rows deleted) go back to no router. */
export async function releaseRouter(tx: Tx, fipIds: string[]): Promise<void> {
  for (const id of new Set(fipIds)) {
    const left = await tx.selectFrom('portforwardings').select('id').where('floatingip_id', '=', id).executeTakeFirst();
    if (left) continue;
    await tx.updateTable('floatingips').set({ router_id: null }).where('id', '=', id).where('fixed_port_id', 'is', null).execute();
    noteChange(tx, 'floatingips', id, 'updated');
  }
}
