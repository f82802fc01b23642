/**
 * The OVS agent's log extension asks the server on `logging-plugin` (LoggingApiSkeleton, namespace
 * logging-plugin, version 1.1) which security group rules each logged port's logs cover.
 */
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import type { Database } from '../../db/database.js';
import type { Queryable } from '../../db/schema.js';
import type { RpcListener } from '../../plugins/plugin.js';

export const LOGGING_PLUGIN_TOPIC = 'logging-plugin';
const DIRECTION_IP_PREFIX: Record<string, string> = { ingress: 'source_ip_prefix', egress: 'dest_ip_prefix' };

interface LogRow { id: string; project_id: string | null; resource_id: string | null; target_id: string | null; event: string }

/** Whether the OVS log driver can log this port (validate_log_type_for_port). */
export type PortLoggable = (q: Queryable, portIds: string[]) => Promise<Set<string>>;

async function portGroups(q: Queryable, portId: string): Promise<string[]> {
  return (await q.selectFrom('port_security_group_bindings').select('security_group_id').where('port_id', '=', portId).execute()).map((r) => r.security_group_id);
}

/** _create_sg_rule_dict */
function ruleDict(r: Record<string, unknown>): Item {
  const out: Item = { direction: r.direction, ethertype: r.ethertype };
  for (const key of ['protocol', 'port_range_min', 'port_range_max', 'remote_group_id']) if (r[key] !== null && r[key] !== undefined) out[key] = r[key];
  if (r.remote_ip_prefix !== null && r.remote_ip_prefix !== undefined) out[DIRECTION_IP_PREFIX[r.direction as string]!] = r.remote_ip_prefix;
  out.security_group_id = r.security_group_id;
  return out;
}

/** _make_log_dict: the log with, for each port, the rules of its groups the log covers. */
async function logInfo(q: Queryable, log: LogRow, portIds: string[]): Promise<Item> {
  const portsLog: Item[] = [];
  for (const portId of portIds) {
    const groups = await portGroups(q, portId);
    const logged = !log.resource_id ? groups : groups.includes(log.resource_id) ? [log.resource_id] : [];
    const rules = logged.length
      ? await q.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', logged).orderBy('id').execute()
      : [];
    portsLog.push({ port_id: portId, security_group_rules: rules.map(ruleDict) });
  }
  return { id: log.id, ports_log: portsLog, event: log.event, project_id: log.project_id };
}

/** _get_ports_being_logged: the target, the group's ports, or the project's; active and loggable only. */
async function portsLogged(q: Queryable, log: LogRow, loggable: PortLoggable): Promise<string[]> {
  let ids: string[];
  if (log.target_id) ids = [log.target_id];
  else if (log.resource_id) {
    ids = (await q.selectFrom('port_security_group_bindings').select('port_id').where('security_group_id', '=', log.resource_id).execute()).map((r) => r.port_id);
  } else {
    ids = [...new Set((await q.selectFrom('port_security_group_bindings').innerJoin('security_groups', 'security_groups.id', 'port_security_group_bindings.security_group_id')
      .select('port_security_group_bindings.port_id').where('security_groups.project_id', '=', log.project_id ?? '').execute()).map((r) => r.port_id))];
  }
  if (!ids.length) return [];
  const active = (await q.selectFrom('ports').select('id').where('id', 'in', ids).where('status', '=', 'ACTIVE').orderBy('id').execute()).map((r) => r.id);
  const ok = await loggable(q, active);
  return active.filter((id) => ok.has(id));
}

const fromWire = (r: any): LogRow => {
  const d = r?.['versioned_object.data'] ?? r;
  return { id: d.id, project_id: d.project_id ?? null, resource_id: d.resource_id ?? null, target_id: d.target_id ?? null, event: d.event ?? 'ALL' };
};

export function loggingRpcListener(db: Database, loggable: PortLoggable): RpcListener {
  const skeleton = {
    target: { version: '1.1', namespace: 'logging-plugin' },
    /** get_logs_bound_port: the project's enabled security group logs that cover the port */
    get_sg_log_info_for_port: (_rc: RequestContext, kw: Record<string, unknown>) => db.read(async (q) => {
      const portId = kw.port_id as string;
      const port = await q.selectFrom('ports').select(['id', 'project_id']).where('id', '=', portId).executeTakeFirst();
      if (!port) return [];
      const groups = await portGroups(q, portId);
      const logs = await q.selectFrom('logs').select(['id', 'project_id', 'resource_id', 'target_id', 'event']).where('project_id', '=', port.project_id ?? '')
        .where('resource_type', '=', 'security_group').where('enabled', '=', 1).orderBy('id').execute();
      const bound = logs.filter((l) => (l.resource_id && groups.includes(l.resource_id)) || l.target_id === portId || (!l.target_id && !l.resource_id));
      return Promise.all(bound.map((l) => logInfo(q, l, [portId])));
    }),
    get_sg_log_info_for_log_resources: (_rc: RequestContext, kw: Record<string, unknown>) => db.read(async (q) => {
      const out: Item[] = [];
      for (const log of ((kw.log_resources as unknown[]) ?? []).map(fromWire)) out.push(await logInfo(q, log, await portsLogged(q, log, loggable)));
      return out;
    }),
  };
  return { topic: LOGGING_PLUGIN_TOPIC, endpoints: [skeleton] };
}
