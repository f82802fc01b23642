import { validateIpAddress } from '../../../lib/address-validators.js';
import {
  ConversionError, idAttribute, PROJECT_ID_FIELD_SIZE, toInt, validateRange, validateString, validateUuid, validateValues,
  type AttributeDef,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';
import { InvalidInput } from '../../../lib/errors.js';

/** neutron_lib.constants.IPTABLES_PROTOCOL_MAP's keys: what a port forwarding forwards. */
export const PORT_FORWARDING_PROTOCOLS = ['dccp', 'icmp', 'ipv6-icmp', 'sctp', 'tcp', 'udp'];

/**
 * convert_to_protocol: a protocol name (any case) or a number 0-255 is kept as given, for the
 * attribute's own list of values to judge; anything else is refused.
 */
export function convertToProtocol(v: unknown): unknown {
  if (v === null) return v;
  if (typeof v === 'string' && PORT_FORWARDING_PROTOCOLS.includes(v.toLowerCase())) return v;
  const refused = new InvalidInput({
    error_message: `IP protocol '${String(v)}' is not supported. Only protocol names and their integer representation (0 to 255) are supported`,
  });
  let n: number;
  try {
    n = toInt(v);
  } catch (e) {
    if (e instanceof ConversionError) throw refused;
    throw e;
  }
  if (n < 0 || n > 255) throw refused;
  return v;
}

const port = (extra: Partial<AttributeDef>): AttributeDef => ({
  allowPost: true, allowPut: true, isVisible: true, convert: toInt, validate: validateRange(1, 65535), kind: 'int', ...extra,
});
const hidden = (column: string): AttributeDef => ({ allowPost: false, allowPut: false, isVisible: false, column, kind: 'int' });

/** /v2.0/floatingips/<id>/port_forwardings: DNAT from a floating IP's port(s) to an internal port's address. */
export const floatingIpPortForwarding: ExtensionDef = {
  alias: 'floating-ip-port-forwarding',
  name: 'Floating IP Port Forwarding',
  description: 'Allow port forwarding from floating IP port to an internal port',
  updated: '2018-01-19T10:00:00-00:00',
  requires: ['router'],
  resources: [{
    name: 'port_forwarding',
    collection: 'port_forwardings',
    table: 'portforwardings',
    parent: { collection: 'floatingips', attribute: 'floatingip_id' },
    attributes: {
      id: idAttribute,
      tenant_id: {
        allowPost: true, allowPut: false, isVisible: false, requiredByPolicy: true, validate: validateString(PROJECT_ID_FIELD_SIZE), kind: 'string',
      },
      floatingip_id: { allowPost: false, allowPut: false, isVisible: false, column: 'floatingip_id', kind: 'string' },
      // the first port of each range is in the *_port column, the last in the hidden *_port_end one
      external_port: port({ isFilter: true, isSort: true, column: 'external_port_start' }),
      internal_port: port({ column: 'internal_port_start' }),
      external_port_end: hidden('external_port_end'),
      internal_port_end: hidden('internal_port_end'),
      internal_ip_address: { allowPost: true, allowPut: true, isVisible: true, validate: validateIpAddress, column: 'internal_ip_address' },
      protocol: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true,
        convert: convertToProtocol, validate: validateValues(PORT_FORWARDING_PROTOCOLS), column: 'protocol', kind: 'string',
      },
      internal_port_id: { allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, validate: validateUuid, column: 'internal_port_id' },
    },
  }],
};
