import { toBoolean, validateBoolean, validateStringOrNone, DESCRIPTION_FIELD_SIZE, idAttribute, type AttributeDef } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const readOnly = (column?: string, kind: AttributeDef['kind'] = 'string', filter = true): AttributeDef => ({
  allowPost: false, allowPut: false, isVisible: true, isFilter: filter, column, kind,
});

export const agent: ExtensionDef = {
  alias: 'agent',
  name: 'agent',
  description: 'The agent management extension.',
  updated: '2013-02-03T10:00:00-00:00',
  resources: [{
    name: 'agent',
    collection: 'agents',
    table: 'agents',
    allowBulk: false,
    attributes: {
      id: { ...idAttribute, isSort: false },
      agent_type: readOnly('agent_type'),
      binary: readOnly('binary'),
      topic: readOnly('topic'),
      host: readOnly('host'),
      admin_state_up: {
        allowPost: false, allowPut: true, isVisible: true, isFilter: true,
        convert: toBoolean, validate: validateBoolean, column: 'admin_state_up', kind: 'bool',
      },
      created_at: readOnly('created_at', 'timestamp', false),
      started_at: readOnly('started_at', 'timestamp', false),
      heartbeat_timestamp: readOnly('heartbeat_timestamp', 'timestamp', false),
      alive: { allowPost: false, allowPut: false, isVisible: true, isFilter: true, convert: toBoolean },
      configurations: readOnly('configurations', 'json', false),
      description: {
        allowPost: false, allowPut: true, isVisible: true, isFilter: true,
        validate: validateStringOrNone(DESCRIPTION_FIELD_SIZE), column: 'description', kind: 'string',
      },
    },
  }],
};
