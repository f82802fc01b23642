/**
 * A QoS driver (neutron_lib.services.qos.base.DriverBase): what an L2 back-end can apply, per rule
 * type the parameters and their accepted values, and which ports it serves.
 */
export type ParameterValues = { 'type:range': [number, number] } | { 'type:values': readonly (string | number)[] };

export interface QosDriver {
  name: string;
  vifTypes: readonly string[];
  vnicTypes: readonly string[];
  supportedRules: Readonly<Record<string, Readonly<Record<string, ParameterValues>>>>;
}
