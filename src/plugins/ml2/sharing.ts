import { ACCESS_EXTERNAL, ACCESS_SHARED } from '../../lib/constants.js';
import { RbacSharing } from '../../registry/rbac.js';

/** Networks are visible to the projects they are shared with and, if external, to everyone. */
export const networkSharing = new RbacSharing('network', { table: 'networks', visibleWith: [ACCESS_SHARED, ACCESS_EXTERNAL] });
/** Subnets are visible where their network is shared: not through access_as_external (Neutron's model query). */
export const subnetSharing = new RbacSharing('network', { table: 'subnets', column: 'network_id', visibleWith: [ACCESS_SHARED] });
export const subnetPoolSharing = new RbacSharing('subnetpool', { table: 'subnetpools' });
export const addressScopeSharing = new RbacSharing('address_scope', { table: 'address_scopes' });
export const securityGroupSharing = new RbacSharing('security_group', { table: 'security_groups' });
