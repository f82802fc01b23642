import {
  idAttribute, NAME_FIELD_SIZE, PROJECT_ID_FIELD_SIZE, toInt, UNSET, validateString, validateStringOrNone, validateUuid, validateUuidOrNone,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const filterSort = { isFilter: true, isSort: true };

/** Segments (neutron_lib/api/definitions/segment.py): /v2.0/segments and the subnets' segment_id. */
export const segment: ExtensionDef = {
  alias: 'segment',
  name: 'Segment',
  description: 'Segments extension.',
  updated: '2016-02-24T17:00:00-00:00',
  requires: ['standard-attr-description'],
  resources: [{
    name: 'segment',
    collection: 'segments',
    table: 'network_segments',
    standardAttributes: true,
    attributes: {
      id: idAttribute,
      tenant_id: { allowPost: true, allowPut: false, isVisible: false, validate: validateString(PROJECT_ID_FIELD_SIZE) },
      network_id: { allowPost: true, allowPut: false, isVisible: true, ...filterSort, validate: validateUuid, column: 'network_id', kind: 'string' },
      physical_network: {
        allowPost: true, allowPut: false, isVisible: true, default: UNSET, ...filterSort, validate: validateString(64),
        column: 'physical_network', kind: 'string',
      },
      network_type: { allowPost: true, allowPut: false, isVisible: true, ...filterSort, validate: validateString(32), column: 'network_type', kind: 'string' },
      segmentation_id: { allowPost: true, allowPut: false, isVisible: true, default: UNSET, isSort: true, convert: toInt, column: 'segmentation_id', kind: 'int' },
      name: {
        allowPost: true, allowPut: true, isVisible: true, default: UNSET, ...filterSort, validate: validateStringOrNone(NAME_FIELD_SIZE),
        column: 'name', kind: 'string',
      },
    },
  }],
  attributes: {
    subnets: {
      segment_id: {
        allowPost: true, allowPut: false, isVisible: true, ...filterSort, default: null,
        validate: validateUuidOrNone, column: 'segment_id', kind: 'string',
      },
    },
  },
};

/** Segments carry the standard attributes (description, timestamps, revision). */
export const standardAttrSegment: ExtensionDef = {
  alias: 'standard-attr-segment',
  name: 'Standard Attribute Segment Extension',
  description: 'Add standard attributes to Segment resource',
  updated: '2018-04-09T10:00:00-00:00',
  requires: ['segment'],
};

/** A subnet's segment_id may be set once, on a network that has a single segment. */
export const subnetSegmentidWritable: ExtensionDef = {
  alias: 'subnet-segmentid-writable',
  name: 'Subnet SegmentID (writable)',
  description: 'Provides a writable segment_id attribute for a subnet resource.',
  updated: '2018-03-12T00:00:00-00:00',
  requires: ['segment'],
  attributes: {
    subnets: {
      segment_id: {
        allowPost: true, allowPut: true, isVisible: true, ...filterSort, default: null,
        validate: validateUuidOrNone, column: 'segment_id', kind: 'string',
      },
    },
  },
};

/** Subnets of a routed network get host routes to the subnets of its other segments. */
export const segmentsPeerSubnetHostRoutes: ExtensionDef = {
  alias: 'segments-peer-subnet-host-routes',
  name: 'Segments peer-subnet host routes',
  description: 'Add host routes to subnets on a routed network (segments)',
  updated: '2018-06-12T10:00:00-00:00',
  requires: ['segment'],
};
