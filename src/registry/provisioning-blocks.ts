/**
 * Provisioning blocks (neutron.db.provisioning_blocks): entities (the DHCP agent, the L2 agent)
 * that must say a port is wired before it may turn ACTIVE. When the last block goes and the port is
 * bound and admin-up, its status becomes ACTIVE (ML2's _port_provisioned).
 */
import { UNBOUND_VIF_TYPES } from '../lib/constants.js';
import type { Database } from '../db/database.js';
import type { Queryable, Tx } from '../db/schema.js';
import { bumpRevision } from './revisions.js';

export const DHCP_ENTITY = 'DHCP';
export const L2_AGENT_ENTITY = 'L2';

export async function addProvisioningComponent(tx: Tx, portId: string, entity: string): Promise<void> {
  const exists = await tx.selectFrom('provisioningblocks').select('port_id').where('port_id', '=', portId).where('entity', '=', entity).executeTakeFirst();
  if (!exists) await tx.insertInto('provisioningblocks').values({ port_id: portId, entity }).execute();
}

export async function removeProvisioningComponent(tx: Tx, portId: string, entity: string): Promise<void> {
  await tx.deleteFrom('provisioningblocks').where('port_id', '=', portId).where('entity', '=', entity).execute();
}

export async function isBlocked(q: Queryable, portId: string): Promise<boolean> {
  return !!(await q.selectFrom('provisioningblocks').select('port_id').where('port_id', '=', portId).limit(1).executeTakeFirst());
}

/**
 * `entity` is done with the port. Returns the port's new status when it turned ACTIVE (no block
 * left, bound, admin-up and not yet ACTIVE), else null.
 */
export async function provisioningComplete(db: Database, portId: string, entity: string): Promise<string | null> {
  return db.write(async (tx) => {
    await removeProvisioningComponent(tx, portId, entity);
    if (await isBlocked(tx, portId)) return null;
    const port = await tx.selectFrom('ports').innerJoin('ml2_port_bindings as b', 'b.port_id', 'ports.id')
      .select(['ports.status', 'ports.admin_state_up', 'b.vif_type']).where('ports.id', '=', portId).where('b.status', '=', 'ACTIVE').executeTakeFirst();
    if (!port || UNBOUND_VIF_TYPES.includes(port.vif_type)) return null;
    if (!(port.admin_state_up === true || Number(port.admin_state_up) === 1) || port.status === 'ACTIVE') return null;
    await bumpRevision(tx, 'ports', portId, { status: 'ACTIVE' });
    return 'ACTIVE';
  });
}
