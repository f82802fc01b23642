import { convertToSanitizedMacAddress, validateFixedIps, validateMacAddress } from '../../lib/address-validators.js';
import {
  ConversionError, DEVICE_ID_FIELD_SIZE, idAttribute, nameAttribute, projectAttribute, pyStr, toBoolean, UNSET,
  validateBoolean, validateString, validateUuid,
} from '../../lib/attributes.js';
import type { ResourceDef } from '../../lib/definitions.js';

export const DEVICE_OWNER_FIELD_SIZE = 255;

/** A `fixed_ips=ip_address=10.0.0.5` filter value as [key, value] (convert_kvp_str_to_list). */
export function convertKeyValueFilter(v: unknown): [string, string] {
  const text = String(v);
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq).trim();
  if (!key) throw new ConversionError(`'${pyStr(v)}' is not of the form <key>=[value]`);
  return [key, text.slice(eq + 1).trim()];
}

/** The core `port` resource (neutron_lib/api/definitions/port.py). */
export const port: ResourceDef = {
  name: 'port',
  collection: 'ports',
  table: 'ports',
  standardAttributes: true,
  taggable: true,
  allowBulk: true,
  markerMustExist: true,
  attributes: {
    id: idAttribute,
    name: nameAttribute,
    network_id: {
      allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, requiredByPolicy: true,
      validate: validateUuid, column: 'network_id', kind: 'string',
    },
    admin_state_up: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: true,
      convert: toBoolean, validate: validateBoolean, column: 'admin_state_up', kind: 'bool',
    },
    mac_address: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: UNSET, enforcePolicy: true,
      convert: convertToSanitizedMacAddress, validate: validateMacAddress, column: 'mac_address', kind: 'string',
    },
    fixed_ips: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: UNSET, enforcePolicy: true,
      validate: validateFixedIps, convertFilter: convertKeyValueFilter,
      // allocated by IPAM
      child: { table: 'ipallocations', parent: 'port_id', value: { subnet_id: 'subnet_id', ip_address: 'ip_address' }, readOnly: true },
    },
    device_id: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: '',
      validate: validateString(DEVICE_ID_FIELD_SIZE), column: 'device_id', kind: 'string',
    },
    device_owner: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: '', enforcePolicy: true,
      validate: validateString(DEVICE_OWNER_FIELD_SIZE), column: 'device_owner', kind: 'string',
    },
    tenant_id: projectAttribute(),
    status: { allowPost: false, allowPut: false, isVisible: true, isFilter: true, isSort: true, column: 'status', kind: 'string' },
  },
};
