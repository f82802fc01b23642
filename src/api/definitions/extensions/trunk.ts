import {
  idAttribute, isUuid, nameAttribute, projectAttribute, pyRepr, pyStr, toBoolean, UNSET, validateBoolean, validateUuid, type Validator,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * neutron-lib's type:subports: a list of dicts with unique port UUIDs, each with both segmentation
 * keys (or neither), and no (type, id) twice. Like neutron-lib, the first `inherit` subport ends
 * the check of the list.
 */
export const validateSubports: Validator = (data) => {
  if (!Array.isArray(data)) return `Invalid data format for subports: '${pyStr(data)}' is not a list`;
  const ids = new Set<unknown>();
  const segmentations = new Map<unknown, Set<unknown>>();
  for (const subport of data) {
    if (!isDict(subport)) return `Invalid data format for subport: '${pyStr(subport)}' is not a dict`;
    if (!('port_id' in subport)) return 'A valid port UUID must be specified';
    if (!isUuid(subport.port_id)) return `Invalid UUID for subport: '${pyStr(subport.port_id)}'`;
    if (ids.has(subport.port_id)) return `Non unique UUID for subport: '${pyStr(subport.port_id)}'`;
    ids.add(subport.port_id);
    const type = subport.segmentation_type;
    if (type === 'inherit') return undefined;
    const id = subport.segmentation_id;
    if ((!type || id === null || id === undefined) && Object.keys(subport).length > 1) {
      return `Invalid subport details '${pyRepr(subport)}': missing segmentation information. Must specify both segmentation_id and segmentation_type`;
    }
    if (segmentations.get(type)?.has(id)) return `Segmentation ID '${pyStr(id)}' for '${pyStr(subport.port_id)}' is not unique`;
    if (id !== null && id !== undefined) segmentations.set(type, (segmentations.get(type) ?? new Set()).add(id));
  }
  return undefined;
};

const filterSort = { isFilter: true, isSort: true };

/** Trunks (neutron_lib/api/definitions/trunk.py). */
export const trunk: ExtensionDef = {
  alias: 'trunk',
  name: 'Trunk Extension',
  description: 'Provides support for trunk ports',
  updated: '2016-01-01T10:00:00-00:00',
  requires: ['binding'],
  resources: [{
    name: 'trunk',
    collection: 'trunks',
    table: 'trunks',
    standardAttributes: true,
    taggable: true,
    memberActions: { add_subports: 'PUT', remove_subports: 'PUT', get_subports: 'GET' },
    attributes: {
      admin_state_up: {
        allowPost: true, allowPut: true, isVisible: true, default: true, ...filterSort,
        convert: toBoolean, validate: validateBoolean, column: 'admin_state_up', kind: 'bool',
      },
      id: idAttribute,
      name: nameAttribute,
      tenant_id: projectAttribute(),
      port_id: {
        allowPost: true, allowPut: false, isVisible: true, requiredByPolicy: true, ...filterSort,
        validate: validateUuid, column: 'port_id', kind: 'string',
      },
      status: { allowPost: false, allowPut: false, isVisible: true, isSort: true, column: 'status', kind: 'string' },
      sub_ports: {
        allowPost: true, allowPut: false, isVisible: true, default: [], enforcePolicy: true, validate: validateSubports,
        child: {
          table: 'subports', parent: 'trunk_id', orderBy: ['segmentation_type', 'segmentation_id'],
          value: { port_id: 'port_id', segmentation_type: 'segmentation_type', segmentation_id: 'segmentation_id' },
        },
      },
    },
  }],
};

/** trunk_details on a trunk's parent port (neutron_lib/api/definitions/trunk_details.py). */
export const trunkDetails: ExtensionDef = {
  alias: 'trunk-details',
  name: 'Trunk port details',
  description: 'Expose trunk port details',
  updated: '2016-01-01T10:00:00-00:00',
  requires: ['trunk'],
  attributes: {
    ports: {
      trunk_details: { allowPost: false, allowPut: false, isVisible: true, default: UNSET, enforcePolicy: true, requiredByPolicy: true },
    },
  },
};
