import { UNBOUND_VIF_TYPES } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  InvalidLogResourceType, InvalidResourceConstraint, LoggedResourceNotFound, LoggingTypeNotSupported, LogResourceNotFound,
  TargetResourceNotFound,
} from '../../lib/errors.js';
import type { Tx } from '../../db/schema.js';
import { readOnlyHandler, type ResourceHandler } from '../../registry/handler.js';
import { SqlResource } from '../../registry/resource.js';
import type { Ml2Plugin } from '../../plugins/ml2/plugin.js';
import type { Plugin, PluginContext, RpcListener } from '../../plugins/plugin.js';
import { RpcClient } from '../../rpc/client.js';
import { loggingRpcListener, type PortLoggable } from './rpc.js';

const LOG_VERSION = '1.0';
/** The Open vSwitch log driver's (OVSDriver): what it logs, and the ports it can log. */
const OVS_LOGGING_TYPES = ['security_group'];
const OVS_VIF_TYPES = ['ovs', 'vhostuser'];

/** validate_log_type_for_port for the OVS driver: an OVS (or vhost-user) VIF, or a normal vNIC while unbound. */
const ovsLoggable = (vifType: unknown, vnicType: unknown) =>
  (UNBOUND_VIF_TYPES.includes(vifType as string) ? vnicType === 'normal' : OVS_VIF_TYPES.includes(vifType as string));

const loggablePorts: PortLoggable = async (q, ids) => {
  if (!ids.length) return new Set();
  const bindings = new Map((await q.selectFrom('ml2_port_bindings').select(['port_id', 'vif_type', 'vnic_type']).where('port_id', 'in', ids).execute())
    .map((b) => [b.port_id, b]));
  return new Set(ids.filter((id) => {
    const b = bindings.get(id);
    return b ? ovsLoggable(b.vif_type, b.vnic_type) : true;
  }));
};

/**
 * Neutron's `log` service plugin: /v2.0/log/logs of security groups (on a port, a group or
 * both, checked as sg_validate does) and /v2.0/log/loggable-resources, from the log drivers
 * of the configured mechanism drivers (openvswitch: security_group). Log objects are pushed to
 * the agents on neutron-vo-Log-1.0; logs go with their security group or port.
 */
export class LoggingPlugin implements Plugin {
  readonly name = 'log';
  readonly supportedExtensionAliases = ['logging'];
  private listeners: RpcListener[] = [];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { api, events, config, log } = ctx;
    const def = api.resources.get('logs');
    const ml2 = ctx.plugins.get('ml2') as Ml2Plugin | undefined;
    if (!def || !ml2?.resources) return {};
    const ports = ml2.resources.ports;
    const types = config.ml2.mechanism_drivers.includes('openvswitch') ? OVS_LOGGING_TYPES : [];

    /** validate_security_group_request */
    const validate = async (tx: Tx, rc: RequestContext, entry: Item) => {
      if (!types.includes(entry.resource_type as string)) throw new InvalidLogResourceType({ resource_type: String(entry.resource_type) });
      const sgId = entry.resource_id as string | null;
      const portId = entry.target_id as string | null;
      if (sgId) {
        let q = tx.selectFrom('security_groups').select('id').where('id', '=', sgId);
        if (!rc.isAdmin) q = q.where('project_id', '=', rc.projectId);
        if (!(await q.executeTakeFirst())) throw new LoggedResourceNotFound({ resource_id: sgId });
      }
      if (portId) {
        let port: Item;
        try {
          port = await ports.load(tx, portId, rc);
        } catch {
          throw new TargetResourceNotFound({ target_id: portId });
        }
        if (!ovsLoggable(port['binding:vif_type'], port['binding:vnic_type'])) throw new LoggingTypeNotSupported({ log_type: 'security_group', port_id: portId });
      }
      if (sgId && portId) {
        const bound = await tx.selectFrom('port_security_group_bindings').select('port_id').where('security_group_id', '=', sgId)
          .where('port_id', '=', portId).executeTakeFirst();
        if (!bound) throw new InvalidResourceConstraint({ resource: 'security_group', resource_id: sgId, target_resource: 'port', target_id: portId });
      }
    };

    const logs = new SqlResource(ctx, def, {
      notFound: (id) => new LogResourceNotFound({ log_id: id }),
      scope: (qb, rc) => qb.where('logs.project_id', '=', rc.projectId),
      beforeCreate: (tx, e) => validate(tx, e.context, e.current),
    });

    // LoggingApiNotification: created (when enabled), updated (when enabled changes), deleted
    const client = new RpcClient(ctx.transport, { topic: 'neutron-vo', version: '1.1', fanout: true }).prepare({ topic: `neutron-vo-Log-${LOG_VERSION}` });
    const push = async (rc: RequestContext, entries: Item[], eventType: 'created' | 'updated' | 'deleted') => {
      if (!entries.length) return;
      await client.cast(rc, 'push', { resource_list: entries.map(logObject), event_type: eventType })
        .catch((err: unknown) => log.error({ err }, 'Log push failed'));
    };
    events.subscribe('log', 'after_create', async (e) => {
      if (e.current.enabled) await push(e.context, [e.current], 'created');
    });
    events.subscribe('log', 'after_update', async (e) => {
      if ('enabled' in (e.changes ?? {})) await push(e.context, [e.current], 'updated');
    });
    events.subscribe('log', 'after_delete', (e) => push(e.context, [e.current], 'deleted'));

    // _clean_logs: a security group's logs and a port's go with them
    const clean = (column: 'resource_id' | 'target_id') => async (tx: Tx, e: { current: Item; removedLogs?: Item[] }) => {
      const rows = await tx.selectFrom('logs').selectAll().where(column, '=', e.current.id as string).execute();
      if (!rows.length) return;
      await tx.deleteFrom('logs').where('id', 'in', rows.map((r) => r.id)).execute();
      e.removedLogs = rows.map((r) => ({ ...r, enabled: r.enabled === true || Number(r.enabled) === 1 }));
    };
    events.subscribe('security_group', 'before_delete', clean('resource_id'));
    events.subscribe('port', 'before_delete', clean('target_id'));
    for (const resource of ['security_group', 'port']) {
      events.subscribe(resource, 'after_delete', (e) => push(e.context, e.removedLogs ?? [], 'deleted'));
    }

    // the OVS log driver requires RPC: its agents ask for the rules their ports' logs cover
    if (types.length) this.listeners = [loggingRpcListener(ctx.db, loggablePorts)];
    const loggable = readOnlyHandler({ list: async () => types.map((type) => ({ type })) });
    return { logs, loggable_resources: loggable };
  }

  rpcListeners(): RpcListener[] {
    return this.listeners;
  }
}

declare module '../../registry/events.js' {
  interface WriteEvent {
    /** logs deleted with their security group or port */
    removedLogs?: Item[];
  }
}

/** A Log object (1.0) as the agents' log extension reads it. */
function logObject(entry: Item): Item {
  return {
    'versioned_object.name': 'Log', 'versioned_object.namespace': 'versionedobjects', 'versioned_object.version': LOG_VERSION,
    'versioned_object.data': {
      id: entry.id, project_id: entry.project_id, name: entry.name, resource_type: entry.resource_type, resource_id: entry.resource_id ?? null,
      target_id: entry.target_id ?? null, event: entry.event, enabled: entry.enabled, description: entry.description ?? '',
      created_at: entry.created_at, updated_at: entry.updated_at, revision_number: entry.revision_number,
    },
  };
}
