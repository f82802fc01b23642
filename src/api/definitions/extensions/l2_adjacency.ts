import type { ExtensionDef } from '../../../lib/definitions.js';

export const l2Adjacency: ExtensionDef = {
  alias: 'l2_adjacency',
  name: 'L2 Adjacency',
  description: 'Display L2 Adjacency for Neutron Networks.',
  updated: '2016-04-12T16:00:00-00:00',
  attributes: { networks: { l2_adjacency: { allowPost: false, allowPut: false, isVisible: true } } },
};
