import { validateFixedIps, validateIpAddressOrNone } from '../../../lib/address-validators.js';
import {
  ConversionError, idAttribute, nameAttribute, projectAttribute, pyStr, toBoolean, validateBoolean, validateUuid,
  validateUuidOrNone, type AttributeDef, type Validator,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

interface KeySpec { required?: boolean; validate?: Validator; convert?: (v: unknown) => unknown }

/** neutron-lib's type:dict_or_nodata with key specs: empty is fine, else the keys are checked and converted. */
export function dictOrNodata(specs: Record<string, KeySpec>): { convert: (v: unknown) => unknown; validate: Validator } {
  return {
    convert: (v) => {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
      const out = { ...(v as Record<string, unknown>) };
      for (const [k, spec] of Object.entries(specs)) if (k in out && spec.convert) out[k] = spec.convert(out[k]);
      return out;
    },
    validate: (v) => {
      if (v === null || v === undefined || (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length)) return undefined;
      if (typeof v !== 'object' || Array.isArray(v)) return `'${pyStr(v)}' is not a dictionary`;
      const data = v as Record<string, unknown>;
      const required = Object.entries(specs).filter(([, s]) => s.required).map(([k]) => k);
      if (required.some((k) => !(k in data))) {
        const set = (keys: string[]) => `{${[...keys].sort().map((k) => `'${k}'`).join(', ')}}`;
        return `Validation of dictionary's keys failed. Expected keys: ${set(required)} Provided keys: ${set(Object.keys(data))}`;
      }
      const unexpected = Object.keys(data).filter((k) => !(k in specs));
      if (unexpected.length) return `Unexpected keys supplied: ${unexpected.join(', ')}`;
      for (const [k, spec] of Object.entries(specs)) {
        const msg = k in data ? spec.validate?.(data[k]) : undefined;
        if (msg) return msg;
      }
      return undefined;
    },
  };
}

/** external_gateway_info; ext-gw-mode adds enable_snat to the keys it accepts, qos-gateway-ip qos_policy_id. */
export function externalGatewayInfo(withSnat: boolean, withQos = false): AttributeDef {
  const specs: Record<string, KeySpec> = {
    network_id: { required: true, validate: validateUuid },
    ...(withSnat ? {
      enable_snat: {
        validate: validateBoolean,
        convert: (x: unknown) => {
          try {
            return toBoolean(x);
          } catch (e) {
            if (e instanceof ConversionError) return x;
            throw e;
          }
        },
      },
    } : {}),
    external_fixed_ips: { validate: validateFixedIps },
    ...(withQos ? { qos_policy_id: { validate: validateUuidOrNone } } : {}),
  };
  return {
    allowPost: true, allowPut: true, isVisible: true, default: null, enforcePolicy: true,
    ...dictOrNodata(specs), dictKeys: Object.keys(specs),
  };
}

const filterSort = { isFilter: true, isSort: true };

/** Routers and floating IPs (neutron_lib/api/definitions/l3.py). */
export const router: ExtensionDef = {
  alias: 'router',
  name: 'Neutron L3 Router',
  description: 'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
  updated: '2012-07-20T10:00:00-00:00',
  resources: [
    {
      name: 'router',
      collection: 'routers',
      table: 'routers',
      standardAttributes: true,
      taggable: true,
      allowBulk: true,
      markerMustExist: true,
      memberActions: { add_router_interface: 'PUT', remove_router_interface: 'PUT', add_extraroutes: 'PUT', remove_extraroutes: 'PUT' },
      attributes: {
        id: idAttribute,
        name: nameAttribute,
        admin_state_up: {
          allowPost: true, allowPut: true, isVisible: true, default: true, ...filterSort,
          convert: toBoolean, validate: validateBoolean, column: 'admin_state_up', kind: 'bool',
        },
        status: { allowPost: false, allowPut: false, isVisible: true, isSort: true, column: 'status' },
        tenant_id: projectAttribute(),
        external_gateway_info: externalGatewayInfo(false),
      },
    },
    {
      name: 'floatingip',
      collection: 'floatingips',
      table: 'floatingips',
      standardAttributes: true,
      taggable: true,
      allowBulk: true,
      attributes: {
        id: idAttribute,
        floating_ip_address: {
          allowPost: true, allowPut: false, isVisible: true, default: null, enforcePolicy: true, ...filterSort,
          validate: validateIpAddressOrNone, column: 'floating_ip_address',
        },
        subnet_id: { allowPost: true, allowPut: false, isVisible: false, default: null, validate: validateUuidOrNone },
        floating_network_id: {
          allowPost: true, allowPut: false, isVisible: true, ...filterSort, validate: validateUuid, column: 'floating_network_id',
        },
        router_id: { allowPost: false, allowPut: false, isVisible: true, default: null, ...filterSort, column: 'router_id' },
        port_id: {
          allowPost: true, allowPut: true, isVisible: true, default: null, isFilter: true, requiredByPolicy: true,
          validate: validateUuidOrNone, column: 'fixed_port_id',
        },
        fixed_ip_address: {
          allowPost: true, allowPut: true, isVisible: true, default: null, ...filterSort,
          validate: validateIpAddressOrNone, column: 'fixed_ip_address',
        },
        tenant_id: projectAttribute(),
        status: { allowPost: false, allowPut: false, isVisible: true, ...filterSort, column: 'status' },
      },
    },
  ],
};
