import type { ExtensionDef } from '../../../lib/definitions.js';

/** /v2.0/agents/<id>/dhcp-networks and /v2.0/networks/<id>/dhcp-agents (routes of the ML2 plugin). */
export const dhcpAgentScheduler: ExtensionDef = {
  alias: 'dhcp_agent_scheduler',
  name: 'DHCP Agent Scheduler',
  description: 'Schedule networks among dhcp agents',
  updated: '2013-02-07T10:00:00-00:00',
  requires: ['agent'],
};
