import { validateSubnetList } from '../../../lib/address-validators.js';
import {
  idAttribute, nameAttribute, noneToEmptyList, projectAttribute, toBoolean, UNSET,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const addressGroup: ExtensionDef = {
  alias: 'address-group',
  name: 'Address group',
  description: 'Support address group',
  updated: '2020-07-15T10:00:00-00:00',
  requires: ['security-group'],
  resources: [{
    name: 'address_group',
    collection: 'address_groups',
    path: 'address-groups',
    table: 'address_groups',
    standardAttributes: true,
    allowBulk: true,
    memberActions: { add_addresses: 'PUT', remove_addresses: 'PUT' },
    attributes: {
      id: idAttribute,
      name: nameAttribute,
      tenant_id: projectAttribute(),
      addresses: {
        allowPost: true, allowPut: false, isVisible: true, default: UNSET, convert: noneToEmptyList, validate: validateSubnetList,
        child: { table: 'address_associations', parent: 'address_group_id', value: 'address', orderBy: ['address'] },
      },
      // computed from rbac_entries (object_type address_group), for the policy only
      shared: { allowPost: false, allowPut: false, isVisible: false, default: false, convert: toBoolean },
    },
  }],
};

export const securityGroupsRemoteAddressGroup: ExtensionDef = {
  alias: 'security-groups-remote-address-group',
  name: 'Remote address group id field for security group rules',
  description: 'Add new field of remote address group id in SG rules',
  updated: '2020-08-25T10:00:00-00:00',
  requires: ['security-group'],
  attributes: {
    security_group_rules: {
      remote_address_group_id: {
        allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: null,
        column: 'remote_address_group_id', kind: 'string',
      },
    },
  },
};
