import { toInt, validateNonNegative } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const netMtuWritable: ExtensionDef = {
  alias: 'net-mtu-writable',
  name: 'Network MTU (writable)',
  description: 'Provides a writable MTU attribute for a network resource.',
  updated: '2017-07-12T00:00:00-00:00',
  requires: ['net-mtu'],
  attributes: {
    networks: {
      mtu: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: 0,
        convert: toInt, validate: validateNonNegative, enforcePolicy: true, column: 'mtu', kind: 'int',
      },
    },
  },
};
