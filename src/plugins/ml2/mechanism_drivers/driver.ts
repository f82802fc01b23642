/**
 * An agent-based mechanism driver (Neutron's SimpleAgentMechanismDriverBase): a port on host H
 * is bound to the first segment of its network that an alive agent of the driver's type on H can
 * reach (a tunnel type it runs, or a physical network it maps).
 */
import type { AgentRow } from '../agents.js';

export interface BindableSegment {
  id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

export interface AgentMechanismDriver {
  /** its name in [ml2] mechanism_drivers */
  readonly name: string;
  /** the agent_type of the agents it binds through */
  readonly agentType: string;
  readonly vifType: string;
  readonly supportedVnicTypes: readonly string[];
  /** the physical networks the agent maps */
  physicalNetworks(agent: AgentRow): string[];
  vifDetails(agent: AgentRow): Record<string, unknown>;
}

/** check_segment_for_agent: local, flat and vlan (on a mapped physnet) and the agent's tunnel types. */
export function canBindSegment(driver: AgentMechanismDriver, agent: AgentRow, segment: BindableSegment): boolean {
  const tunnelTypes = Array.isArray(agent.configurations.tunnel_types) ? agent.configurations.tunnel_types as string[] : [];
  const type = segment.network_type;
  if (type === 'local') return true;
  if (type === 'flat' || type === 'vlan') return !!segment.physical_network && driver.physicalNetworks(agent).includes(segment.physical_network);
  return tunnelTypes.includes(type);
}

export function mappingKeys(value: unknown): string[] {
  return value && typeof value === 'object' ? Object.keys(value) : [];
}
