import { toBoolean } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const uplinkStatusPropagation: ExtensionDef = {
  alias: 'uplink-status-propagation',
  name: 'Uplink status propagation extension',
  description: 'Provides ability to propagate port uplink status.',
  updated: '2018-05-31T18:00:00-00:00',
  attributes: {
    ports: {
      propagate_uplink_status: {
        allowPost: true, allowPut: false, isVisible: true, default: true, convert: toBoolean,
        child: { table: 'portuplinkstatuspropagation', parent: 'port_id', value: 'propagate', kind: 'bool', single: true },
      },
    },
  },
};
