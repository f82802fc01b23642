/**
 * Agents' state reports (Neutron's AgentExtRpcCallback, version 1.2, topic q-reports-plugin; also
 * served on q-plugin): report_state fills the agents table and answers "new", "alive" or
 * "revived"; has_alive_neutron_server answers true.
 */
import type { Logger } from 'pino';
import type { RequestContext } from '../../../lib/context.js';
import type { Database } from '../../../db/database.js';
import { RpcClient } from '../../../rpc/client.js';
import type { Endpoint } from '../../../rpc/server.js';
import type { Transport } from '../../../rpc/transport.js';
import { createOrUpdateAgent, type AgentOptions, type AgentStatus } from '../agents.js';

export const REPORTS_TOPIC = 'q-reports-plugin';
export const SERVER_RESOURCE_VERSIONS_TOPIC = 'q-server-resource-versions';

/** The agent's `time`, Python's "%Y-%m-%dT%H:%M:%S.%f" in UTC, as epoch milliseconds (NaN if unreadable). */
export function parseAgentClock(time: unknown): number {
  if (typeof time !== 'string') return NaN;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/.exec(time);
  if (!m) return NaN;
  return Date.parse(`${m[1]}T${m[2]}.${(m[3] ?? '0').padEnd(3, '0').slice(0, 3)}Z`);
}

export class AgentExtRpcCallback implements Endpoint {
  readonly target = { version: '1.2' };
  /** reports sent before this server started are stale (a queue that filled while it was down) */
  private readonly startTime = Date.now();
  private readonly versionsClient: RpcClient;

  constructor(
    private readonly db: Database,
    private readonly opts: AgentOptions,
    transport: Transport,
    private readonly log: Pick<Logger, 'debug' | 'info' | 'error'>,
  ) {
    this.versionsClient = new RpcClient(transport, { topic: SERVER_RESOURCE_VERSIONS_TOPIC, version: '1.0', fanout: true });
  }

  has_alive_neutron_server(): boolean {
    return true;
  }

  async report_state(ctx: RequestContext, kwargs: Record<string, any>): Promise<AgentStatus | null> {
    const time = parseAgentClock(kwargs.time);
    const state = kwargs.agent_state?.agent_state;
    if (!state || typeof state !== 'object') throw new TypeError('report_state needs agent_state.agent_state');
    if (Number.isNaN(time)) throw new TypeError(`time data ${JSON.stringify(kwargs.time)} does not match format '%Y-%m-%dT%H:%M:%S.%f'`);
    if (state.start_flag && Math.abs(Date.now() - time) > this.opts.agentDownTime * 1000) {
      this.log.error(`Message received from the host: ${state.host} during the registration of ${state.agent_type} has a timestamp: ${kwargs.time}. `
        + `This differs from the current server timestamp by ${Math.round(Math.abs(Date.now() - time) / 1000)} seconds, `
        + `which is more than the threshold agent down time: ${this.opts.agentDownTime}.`);
    }
    if (time < this.startTime) {
      this.log.debug(`Stale message received with timestamp: ${kwargs.time}. Skipping processing because it's older than the server start timestamp`);
      return null;
    }
    const { status } = await createOrUpdateAgent(this.db, state, this.opts);
    if (status === 'new') this.log.info({ agent_type: state.agent_type, host: state.host }, 'new agent registered');
    const versions = state.resource_versions;
    if (versions && typeof versions === 'object' && Object.keys(versions).length) {
      // other servers learn which object versions this agent consumes
      this.versionsClient.cast(ctx, 'report_agent_resource_versions', { agent_type: state.agent_type, agent_host: state.host, version_map: versions })
        .catch((err: unknown) => this.log.error({ err }, 'could not send report_agent_resource_versions'));
    }
    return status;
  }
}
