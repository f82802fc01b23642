import { toBoolean, UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const toBooleanIfNotNone = (v: unknown) => (v === null ? null : toBoolean(v));

export const dvr: ExtensionDef = {
  alias: 'dvr',
  name: 'Distributed Virtual Router',
  description: 'Enables configuration of Distributed Virtual Routers.',
  updated: '2014-06-1T10:00:00-00:00',
  requires: ['router'],
  attributes: {
    routers: {
      distributed: {
        allowPost: true, allowPut: true, isVisible: true, default: UNSET, enforcePolicy: true,
        convert: toBooleanIfNotNone, column: 'distributed', kind: 'bool',
      },
    },
  },
};
