import { ACCESS_EXTERNAL, ACCESS_SHARED } from '../../lib/constants.js';
import { RbacSharing } from '../../registry/rbac.js';

/** Networks are visible to the projects they are shared with and, if external, to everyone. */
export const networkSharing = new RbacSharing('network', { table: 'networks', visibleWith: [ACCESS_SHARED, ACCESS_EXTERNAL] });
/** Subnets are visible where their network is shared: those of a network that is only external are not. */
export const subnetSharing = new RbacSharing('network', { table: 'subnets', column: 'network_id' });
export const subnetPoolSharing = new RbacSharing('subnetpool', { table: 'subnetpools' });
export const addressScopeSharing = new RbacSharing('address_scope', { table: 'address_scopes' });
export const securityGroupSharing = new RbacSharing('security_group', { table: 'security_groups' });
export const addressGroupSharing = new RbacSharing('address_group', { table: 'address_groups' });
/**
 * QoS policies (the qos service plugin, src/services/qos/): `shared` is the wildcard
 * access_as_shared entry; the RBAC policy API registers object type qos_policy with this helper.
 */
export const qosPolicySharing = new RbacSharing('qos_policy', { table: 'qos_policies' });
