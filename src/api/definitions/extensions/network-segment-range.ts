import {
  idAttribute, NAME_FIELD_SIZE, PROJECT_ID_FIELD_SIZE, toBoolean, toInt, UNSET, validateBoolean, validateRange, validateString, validateValues,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const filterSort = { isFilter: true, isSort: true };
/** NETWORK_SEGMENT_RANGE_LIMIT: GRE's ids, the widest */
const limit = validateRange(1, 2 ** 32 - 1);

/** Network segment ranges (neutron_lib/api/definitions/network_segment_range.py). */
export const networkSegmentRange: ExtensionDef = {
  alias: 'network-segment-range',
  name: 'Neutron Network Segment Range',
  description: 'Provides support for the network segment range management',
  updated: '2018-11-29T00:00:00-00:00',
  requires: ['provider'],
  resources: [{
    name: 'network_segment_range',
    collection: 'network_segment_ranges',
    table: 'network_segment_ranges',
    standardAttributes: true,
    taggable: true,
    attributes: {
      id: idAttribute,
      name: { allowPost: true, allowPut: true, isVisible: true, default: '', ...filterSort, validate: validateString(NAME_FIELD_SIZE), column: 'name', kind: 'string' },
      default: { allowPost: false, allowPut: false, isVisible: true, default: false, ...filterSort, convert: toBoolean, column: 'default', kind: 'bool' },
      shared: { allowPost: true, allowPut: false, isVisible: true, default: true, ...filterSort, convert: toBoolean, validate: validateBoolean, column: 'shared', kind: 'bool' },
      project_id: {
        allowPost: true, allowPut: false, isVisible: true, default: UNSET, requiredByPolicy: true, ...filterSort,
        validate: validateString(PROJECT_ID_FIELD_SIZE), column: 'project_id', kind: 'string',
      },
      network_type: {
        allowPost: true, allowPut: false, isVisible: true, default: UNSET, ...filterSort,
        validate: validateValues(['vlan', 'vxlan', 'gre', 'geneve']), column: 'network_type', kind: 'string',
      },
      physical_network: {
        allowPost: true, allowPut: false, isVisible: true, default: UNSET, ...filterSort, validate: validateString(64), column: 'physical_network', kind: 'string',
      },
      minimum: { allowPost: true, allowPut: true, isVisible: true, ...filterSort, convert: toInt, validate: limit, column: 'minimum', kind: 'int' },
      maximum: { allowPost: true, allowPut: true, isVisible: true, ...filterSort, convert: toInt, validate: limit, column: 'maximum', kind: 'int' },
      used: { allowPost: false, allowPut: false, isVisible: true },
      available: { allowPost: false, allowPut: false, isVisible: true },
    },
  }],
};
