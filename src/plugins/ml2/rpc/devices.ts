/**
 * How agents name ports: a port id, a tap-style device name holding the start of one
 * (`tap3f2a9c0d-4b`, `qvo...`, `sg-...`), or a MAC address (ML2's _device_to_port_id plus the
 * prefix match of get_port). Resolved set-based: one query per kind of name for a whole list.
 */
import { inChunks } from '../../../db/chunks.js';
import type { Queryable } from '../../../db/schema.js';

/** neutron_lib.constants.INTERFACE_PREFIXES */
const INTERFACE_PREFIXES = ['tap', 'qvo', 'sg-'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;

/** An agent names a device by id, tap name or MAC, or (SR-IOV) as [mac, pci_slot]. */
export function deviceName(device: unknown): string {
  return String(Array.isArray(device) ? device[0] : device ?? '');
}

/** device → port id, for the devices that name exactly one port. */
export async function devicesToPortIds(q: Queryable, devices: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const full = new Map<string, string>();
  const prefixes = new Map<string, string>();
  const macs = new Map<string, string>();
  for (const d of devices) {
    const prefix = INTERFACE_PREFIXES.find((p) => d.startsWith(p));
    const id = prefix ? d.slice(prefix.length) : d;
    if (!prefix && MAC.test(d)) macs.set(d.toLowerCase().replace(/-/g, ':'), d);
    else if (UUID.test(id)) full.set(id.toLowerCase(), d);
    else if (/^[0-9a-f-]+$/i.test(id)) prefixes.set(id.toLowerCase(), d);
  }
  await inChunks([...full.keys()], async (chunk) => {
    for (const r of await q.selectFrom('ports').select('id').where('id', 'in', chunk).execute()) out.set(full.get(r.id)!, r.id);
  });
  await inChunks([...macs.keys()], async (chunk) => {
    const rows = await q.selectFrom('ports').select(['id', 'mac_address']).where('mac_address', 'in', chunk).execute();
    for (const [mac, d] of macs) {
      const hits = rows.filter((r) => r.mac_address === mac);
      if (hits.length === 1) out.set(d, hits[0]!.id);
    }
  });
  await inChunks([...prefixes.keys()], async (chunk) => {
    const rows = await q.selectFrom('ports').select('id').where((eb) => eb.or(chunk.map((p) => eb('id', 'like', `${p}%`)))).execute();
    for (const [p, d] of prefixes) {
      const hits = rows.filter((r) => (r.id as string).startsWith(p));
      if (hits.length === 1) out.set(d, hits[0]!.id);
    }
  }, 200);
  return out;
}
