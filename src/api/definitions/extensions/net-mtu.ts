import type { ExtensionDef } from '../../../lib/definitions.js';

export const netMtu: ExtensionDef = {
  alias: 'net-mtu',
  name: 'Network MTU',
  description: 'Provides MTU attribute for a network resource.',
  updated: '2015-03-25T10:00:00-00:00',
  attributes: {
    networks: { mtu: { allowPost: false, allowPut: false, isVisible: true, column: 'mtu', kind: 'int' } },
  },
};
