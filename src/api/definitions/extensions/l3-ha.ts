import { UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';
import { toBooleanIfNotNone } from './dvr.js';

export const l3Ha: ExtensionDef = {
  alias: 'l3-ha',
  name: 'HA Router extension',
  description: 'Adds HA capability to routers.',
  updated: '2014-04-26T00:00:00-00:00',
  requires: ['router'],
  attributes: {
    routers: {
      ha: {
        allowPost: true, allowPut: true, isVisible: true, default: UNSET, enforcePolicy: true,
        convert: toBooleanIfNotNone, column: 'ha', kind: 'bool',
      },
    },
  },
};
