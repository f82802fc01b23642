import { UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/** Whether the last sync of an agent's resources to Placement succeeded; null until one ran. */
export const agentResourcesSynced: ExtensionDef = {
  alias: 'agent-resources-synced',
  name: "Agent's Resource View Synced to Placement",
  description: 'Stores success/failure of last sync to Placement',
  updated: '2018-12-19T00:00:00-00:00',
  requires: ['agent'],
  attributes: {
    agents: {
      resources_synced: { allowPost: false, allowPut: false, isVisible: true, default: UNSET, column: 'resources_synced', kind: 'bool' },
    },
  },
};
