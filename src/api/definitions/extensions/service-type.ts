import type { AttributeDef } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const shown = (kind: 'string' | 'bool'): AttributeDef => ({ allowPost: false, allowPut: false, isVisible: true, kind });

/** GET /v2.0/service-providers: the configured providers of each service type (read only). */
export const serviceType: ExtensionDef = {
  alias: 'service-type',
  name: 'Neutron Service Type Management',
  description: 'API for retrieving service providers for Neutron advanced services',
  updated: '2013-01-20T00:00:00-00:00',
  resources: [{
    name: 'service_provider',
    collection: 'service_providers',
    path: 'service-providers',
    table: 'service_providers',
    pagination: false,
    attributes: { service_type: shown('string'), name: shown('string'), default: shown('bool') },
  }],
};
