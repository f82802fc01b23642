import type { ExtensionDef } from '../../../lib/definitions.js';

/** /v2.0/agents/<id>/l3-routers and /v2.0/routers/<id>/l3-agents (routes of the router plugin). */
export const l3AgentScheduler: ExtensionDef = {
  alias: 'l3_agent_scheduler',
  name: 'L3 Agent Scheduler',
  description: 'Schedule routers among l3 agents',
  updated: '2013-02-07T10:00:00-00:00',
  requires: ['router', 'agent'],
};
