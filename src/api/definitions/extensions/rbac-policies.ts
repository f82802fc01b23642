import {
  idAttribute, PROJECT_ID_FIELD_SIZE, projectAttribute, validateNotEmptyString, validateString, validateUuid,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/** convert_valid_object_type without its check, which needs the registered types (the RBAC resource makes it). */
const normalizeObjectType = (v: unknown): unknown => (typeof v === 'string' ? v.trim().toLowerCase() : v);

export const rbacPolicies: ExtensionDef = {
  alias: 'rbac-policies',
  name: 'RBAC Policies',
  description: 'Allows creation and modification of policies that control tenant access to resources.',
  updated: '2015-06-17T12:15:12-00:00',
  resources: [{
    name: 'rbac_policy',
    collection: 'rbac_policies',
    path: 'rbac-policies',
    table: 'rbac_entries',
    allowBulk: true,
    // Neutron serves this collection with allow_pagination=False (sorting allowed)
    pagination: false,
    attributes: {
      id: idAttribute,
      object_type: {
        allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: null, enforcePolicy: true,
        convert: normalizeObjectType, convertFilter: normalizeObjectType, column: 'object_type', kind: 'string',
      },
      object_id: {
        allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, enforcePolicy: true,
        validate: validateUuid, column: 'object_id', kind: 'string',
      },
      // stored as target_project, the name Neutron's RBAC tables use
      target_tenant: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, enforcePolicy: true,
        validate: validateNotEmptyString(PROJECT_ID_FIELD_SIZE), column: 'target_project', kind: 'string',
      },
      tenant_id: projectAttribute(),
      action: {
        allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, enforcePolicy: true,
        validate: validateString(255), column: 'action', kind: 'string',
      },
    },
  }],
};

/** Shim extensions: object types that /v2.0/rbac-policies accepts once their plugin registers them. */
const rbacType = (alias: string, name: string, updated: string, requires: string[]): ExtensionDef => ({ alias, name, description: name, updated, requires });

export const rbacSecurityGroups = rbacType('rbac-security-groups', 'Add security_group type to network RBAC', '2019-02-14T00:00:00-00:00', ['rbac-policies', 'security-group']);
export const rbacAddressScope = rbacType('rbac-address-scope', 'Add address_scope type to RBAC', '2020-02-12T00:00:00-00:00', ['rbac-policies', 'address-scope']);
export const rbacSubnetpool = rbacType('rbac-subnetpool', 'Add subnetpool type to RBAC', '2020-02-05T00:00:00-00:00', ['rbac-policies', 'rbac-address-scope']);
export const rbacAddressGroup = rbacType('rbac-address-group', 'Add address_group type to RBAC', '2021-01-20T00:00:00-00:00', ['rbac-policies', 'address-group']);
