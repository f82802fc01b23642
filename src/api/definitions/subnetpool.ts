import { validateSubnetList } from '../../lib/address-validators.js';
import {
  idAttribute, projectAttribute, toBoolean, toInt, UNSET, validateBoolean, validateNonNegative, validateNotEmptyString,
  type AttributeDef,
} from '../../lib/attributes.js';
import type { ResourceDef } from '../../lib/definitions.js';

const prefixBound = (column: string): AttributeDef => ({
  allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: UNSET,
  convert: toInt, validate: validateNonNegative, column, kind: 'int',
});

/** The core `subnetpool` resource (neutron_lib/api/definitions/subnetpool.py). */
export const subnetpool: ResourceDef = {
  name: 'subnetpool',
  collection: 'subnetpools',
  table: 'subnetpools',
  standardAttributes: true,
  taggable: true,
  allowBulk: true,
  // subnetpool-prefix-ops; the body and answer are {"prefixes": [...]}
  memberActions: { add_prefixes: 'PUT', remove_prefixes: 'PUT', onboard_network_subnets: 'PUT' },
  attributes: {
    id: idAttribute,
    name: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true,
      validate: validateNotEmptyString(), column: 'name', kind: 'string',
    },
    tenant_id: projectAttribute(),
    prefixes: { allowPost: true, allowPut: true, isVisible: true, validate: validateSubnetList },
    default_quota: { ...prefixBound('default_quota') },
    ip_version: { allowPost: false, allowPut: false, isVisible: true, isFilter: true, isSort: true, convert: toInt, column: 'ip_version', kind: 'int' },
    default_prefixlen: prefixBound('default_prefixlen'),
    min_prefixlen: prefixBound('min_prefixlen'),
    max_prefixlen: prefixBound('max_prefixlen'),
    is_default: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: false,
      convert: toBoolean, validate: validateBoolean, requiredByPolicy: true, enforcePolicy: true, column: 'is_default', kind: 'bool',
    },
    // Neutron sorts on it too; here sharing lives in rbac_entries, so it is filter-only
    shared: {
      allowPost: true, allowPut: false, isVisible: true, isFilter: true, default: false,
      convert: toBoolean, validate: validateBoolean, requiredByPolicy: true, enforcePolicy: true,
    },
  },
};
