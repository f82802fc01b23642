import {
  idAttribute, nameAttribute, projectAttribute, toBoolean, toInt, validateBoolean, validateRange, validateUuidOrNone, validateValues,
  type AttributeDef,
} from '../../../lib/attributes.js';
import type { ExtensionDef, ResourceDef } from '../../../lib/definitions.js';

/** neutron-lib's db constants.DB_INTEGER_MAX_VALUE: the bound of every rate of a QoS rule */
export const DB_INTEGER_MAX_VALUE = 2 ** 31 - 1;
export const VALID_DSCP_MARKS = [0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 46, 48, 56];
export const VALID_DIRECTIONS = ['ingress', 'egress'];
export const VALID_DIRECTIONS_AND_ANY = ['any', ...VALID_DIRECTIONS];

/** A rate or burst of a rule (type:range [0, DB_INTEGER_MAX_VALUE]); `defaultValue` undefined: required. */
export function rateAttribute(column: string, defaultValue?: number, allowPost = true): AttributeDef {
  return {
    allowPost, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: defaultValue,
    convert: toInt, validate: validateRange(0, DB_INTEGER_MAX_VALUE), column, kind: 'int',
  };
}

export function directionAttribute(values: readonly string[], allowPost = true): AttributeDef {
  return {
    allowPost, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: 'egress',
    validate: validateValues(values), column: 'direction', kind: 'string',
  };
}

export function dscpMarkAttribute(allowPost = true): AttributeDef {
  return {
    allowPost, allowPut: true, isVisible: true, isFilter: true, isSort: true,
    convert: toInt, validate: validateValues(VALID_DSCP_MARKS), column: 'dscp_mark', kind: 'int',
  };
}

/**
 * _QOS_RULE_COMMON_FIELDS: a rule has no project of its own (tenant_id is accepted and not
 * stored; its policy target takes the policy's project), and belongs to its policy.
 */
export const RULE_COMMON_ATTRIBUTES: Record<string, AttributeDef> = {
  id: idAttribute,
  tenant_id: { allowPost: true, allowPut: false, isVisible: true, requiredByPolicy: true },
  qos_policy_id: { allowPost: false, allowPut: false, isVisible: false, column: 'qos_policy_id', kind: 'string' },
};

/** A rule type's collection under /v2.0/qos/policies/<policy_id>/. */
export function ruleResource(type: string, attributes: Record<string, AttributeDef>): ResourceDef {
  return {
    name: `${type}_rule`,
    collection: `${type}_rules`,
    policyName: `policy_${type}_rule`,
    table: `qos_${type}_rules`,
    parent: { collection: 'policies', attribute: 'qos_policy_id' },
    allowBulk: true,
    attributes: { ...RULE_COMMON_ATTRIBUTES, ...attributes },
  };
}

/** A rule type's alias collection, /v2.0/qos/alias_<type>_rules/<id>: show, update and delete only. */
export function aliasRuleResource(type: string, attributes: Record<string, AttributeDef>): ResourceDef {
  return {
    name: `alias_${type}_rule`,
    collection: `alias_${type}_rules`,
    pathPrefix: 'qos',
    table: `qos_${type}_rules`,
    attributes: { ...RULE_COMMON_ATTRIBUTES, ...attributes },
  };
}

const qosPolicyId: AttributeDef = {
  allowPost: true, allowPut: true, isVisible: true, default: null, enforcePolicy: true, validate: validateUuidOrNone,
};

export const qos: ExtensionDef = {
  alias: 'qos',
  name: 'Quality of Service',
  description: 'The Quality of Service extension.',
  updated: '2015-06-08T10:00:00-00:00',
  resources: [
    {
      name: 'policy',
      collection: 'policies',
      pathPrefix: 'qos',
      table: 'qos_policies',
      standardAttributes: true,
      taggable: true,
      allowBulk: true,
      attributes: {
        id: idAttribute,
        name: nameAttribute,
        // sharing lives in rbac_entries (object_type qos_policy)
        shared: { allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: false, convert: toBoolean, validate: validateBoolean },
        tenant_id: projectAttribute(),
        rules: { allowPost: false, allowPut: false, isVisible: true },
      },
    },
    {
      name: 'rule_type',
      collection: 'rule_types',
      path: 'rule-types',
      pathPrefix: 'qos',
      table: 'qos_rule_types',
      attributes: {
        type: { allowPost: false, allowPut: false, isVisible: true },
      },
    },
    ruleResource('bandwidth_limit', {
      max_kbps: rateAttribute('max_kbps'),
      max_burst_kbps: rateAttribute('max_burst_kbps', 0),
    }),
    ruleResource('dscp_marking', { dscp_mark: dscpMarkAttribute() }),
    ruleResource('minimum_bandwidth', {
      min_kbps: rateAttribute('min_kbps'),
      direction: directionAttribute(['egress']),
    }),
  ],
  attributes: {
    ports: { qos_policy_id: { ...qosPolicyId, child: { table: 'qos_port_policy_bindings', parent: 'port_id', value: 'policy_id', single: true } } },
    networks: { qos_policy_id: { ...qosPolicyId, child: { table: 'qos_network_policy_bindings', parent: 'network_id', value: 'policy_id', single: true } } },
  },
};
