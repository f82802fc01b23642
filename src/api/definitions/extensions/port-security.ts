import { toBoolean, validateBoolean, UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const portSecurity: ExtensionDef = {
  alias: 'port-security',
  name: 'Port Security',
  description: 'Provides port security',
  updated: '2012-07-23T10:00:00-00:00',
  attributes: {
    networks: {
      port_security_enabled: {
        allowPost: true, allowPut: true, isVisible: true, default: true, enforcePolicy: true,
        convert: toBoolean, validate: validateBoolean, column: 'port_security_enabled', kind: 'bool',
      },
    },
    ports: {
      port_security_enabled: {
        allowPost: true, allowPut: true, isVisible: true, default: UNSET, enforcePolicy: true,
        convert: toBoolean, validate: validateBoolean, column: 'port_security_enabled', kind: 'bool',
      },
    },
  },
};
