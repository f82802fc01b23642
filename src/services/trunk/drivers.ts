/**
 * The server side of the trunk drivers (neutron/services/trunk/drivers): which bound ports each
 * can trunk (by vif_type and the agents on the port's host) and which segmentation types it
 * wires. A driver is loaded when [ml2] mechanism_drivers names it; all of them are registered.
 */
export interface TrunkDriver {
  readonly name: string;
  /** the vif_types of the ports it serves */
  readonly interfaces: readonly string[];
  readonly segmentationTypes: readonly string[];
  /** its agent's agent_type (null: agentless) */
  readonly agentType: string | null;
  /** whether a trunk may be made on (or deleted from) a port already bound */
  readonly canTrunkBoundPort: boolean;
}

export const linuxbridge: TrunkDriver = {
  name: 'linuxbridge', interfaces: ['bridge'], segmentationTypes: ['vlan'], agentType: 'Linux bridge agent', canTrunkBoundPort: true,
};

export const openvswitch: TrunkDriver = {
  name: 'openvswitch', interfaces: ['ovs', 'vhostuser'], segmentationTypes: ['vlan'], agentType: 'Open vSwitch agent', canTrunkBoundPort: false,
};

/** Every in-tree driver, registered in Neutron's order. */
export const TRUNK_DRIVERS: readonly TrunkDriver[] = [linuxbridge, openvswitch];

/** VLAN tags a subport may use (neutron-lib's is_valid_vlan_tag). */
const SEGMENTATION_ID_VALIDATORS: Record<string, (id: number) => boolean> = {
  vlan: (id) => id >= 1 && id <= 4094,
};

/**
 * The segmentation types every loaded driver supports, with their validators. Neutron refuses to
 * start without a loaded driver; neutron-ts then accepts vlan, as its embedded mode has no agents.
 */
export function segmentationTypes(mechanismDrivers: readonly string[]): Map<string, (id: number) => boolean> {
  const loaded = TRUNK_DRIVERS.filter((d) => mechanismDrivers.includes(d.name));
  const types = loaded.length ? loaded.map((d) => d.segmentationTypes).reduce((a, b) => a.filter((t) => b.includes(t))) : ['vlan'];
  return new Map(types.filter((t) => t in SEGMENTATION_ID_VALIDATORS).map((t) => [t, SEGMENTATION_ID_VALIDATORS[t]!]));
}
