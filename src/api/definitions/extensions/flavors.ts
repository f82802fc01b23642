import {
  ConversionError, idAttribute, PROJECT_ID_FIELD_SIZE, toBoolean, validateString, validateStringOrNone, validateUuidList,
  type AttributeDef,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const LONG_DESCRIPTION = 1024;
const toBooleanIfNotNone = (v: unknown) => (v === null ? v : toBoolean(v));
/** service_type names a loaded service plugin: the flavors plugin checks it (InvalidServiceType) */
const serviceTypeText = (v: unknown) => {
  if (typeof v !== 'string') throw new ConversionError(`'${String(v)}' is not a valid string`);
  return v;
};
const tenant: AttributeDef = { allowPost: true, allowPut: false, isVisible: true, requiredByPolicy: true, validate: validateString(PROJECT_ID_FIELD_SIZE), kind: 'string' };
const enabled: AttributeDef = {
  allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: true, convert: toBooleanIfNotNone, column: 'enabled', kind: 'bool',
};
const description: AttributeDef = {
  allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: '', validate: validateStringOrNone(LONG_DESCRIPTION), column: 'description', kind: 'string',
};

/** /v2.0/flavors and /v2.0/service_profiles (admin-made; flavors readable by all). */
export const flavors: ExtensionDef = {
  alias: 'flavors',
  name: 'Neutron Service Flavors',
  description: 'Flavor specification for Neutron advanced services.',
  updated: '2015-09-17T10:00:00-00:00',
  resources: [
    {
      name: 'flavor',
      collection: 'flavors',
      table: 'flavors',
      attributes: {
        id: idAttribute,
        name: { allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: '', validate: validateString(255), column: 'name', kind: 'string' },
        description,
        service_type: { allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, convert: serviceTypeText, column: 'service_type', kind: 'string' },
        tenant_id: tenant,
        service_profiles: { allowPost: true, allowPut: true, isVisible: true, default: [], validate: validateUuidList },
        enabled,
      },
    },
    {
      name: 'service_profile',
      collection: 'service_profiles',
      table: 'serviceprofiles',
      attributes: {
        id: idAttribute,
        description,
        driver: { allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: '', validate: validateString(LONG_DESCRIPTION), column: 'driver', kind: 'string' },
        metainfo: { allowPost: true, allowPut: true, isVisible: true, isSort: true, default: '', column: 'metainfo', kind: 'string' },
        tenant_id: tenant,
        enabled,
      },
    },
  ],
};
