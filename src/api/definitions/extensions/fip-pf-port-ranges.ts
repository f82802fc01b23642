import { validateRange, type AttributeDef, type Validator } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/** neutron-lib's validate_port_range_or_none with [1, 65535]: `N` or `N:M`, N ≤ M. */
export const validatePortRangeOrNone: Validator = (v) => {
  if (v === null) return undefined;
  const ports = String(v).split(':');
  if (ports.length > 2 || ports.some((p) => !p)) return 'Port range must be two integers separated by a colon';
  for (const p of ports) {
    if (!/^\d+$/.test(p) || Number(p) > 65535) return `Invalid port: ${p}`;
    if (Number(p) < 1) return `Invalid port: ${p}, the port must be in the range [1, 65535]`;
  }
  if (ports.length > 1 && Number(ports[0]) > Number(ports[1])) return 'First port in a port range must be lower than the second port';
  return undefined;
};

const rangeOrNone = validateRange(1, 65535);
const port = (extra: Partial<AttributeDef>): AttributeDef => ({
  allowPost: true, allowPut: true, isVisible: true, default: null, kind: 'int',
  validate: (v) => (v === null ? undefined : rangeOrNone(v)), ...extra,
});

/** external_port_range / internal_port_range; the single ports become optional (and are no longer converted). */
export const fipPfPortRanges: ExtensionDef = {
  alias: 'floating-ip-port-forwarding-port-ranges',
  name: 'Floating IP Port Forwarding support port ranges',
  description: 'Add suport to port ranges',
  updated: '2020-07-01T10:00:00-00:00',
  requires: ['floating-ip-port-forwarding'],
  attributes: {
    port_forwardings: {
      external_port_range: { allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: null, validate: validatePortRangeOrNone, kind: 'string' },
      internal_port_range: { allowPost: true, allowPut: true, isVisible: true, default: null, validate: validatePortRangeOrNone, kind: 'string' },
      external_port: port({ isFilter: true, isSort: true, column: 'external_port_start' }),
      internal_port: port({ column: 'internal_port_start' }),
    },
  },
};
