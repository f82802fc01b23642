import { toLowerCaseString as lowerCase, validateDnsDomain, validateDnsName, validateFipDnsName } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const FQDN_FIELD_SIZE = 255;

/**
 * Neutron's definition requires the router extension; here the floating-IP attributes merge in
 * when the router plugin serves floating IPs.
 */
export const dnsIntegration: ExtensionDef = {
  alias: 'dns-integration',
  name: 'DNS Integration',
  description: 'Provides integration with DNS.',
  updated: '2015-08-15T18:00:00-00:00',
  attributes: {
    ports: {
      dns_name: {
        allowPost: true, allowPut: true, isVisible: true, default: '', convert: lowerCase,
        validate: validateDnsName(FQDN_FIELD_SIZE), column: 'dns_name', kind: 'string',
      },
      dns_assignment: { allowPost: false, allowPut: false, isVisible: true },
    },
    networks: {
      dns_domain: {
        allowPost: true, allowPut: true, isVisible: true, default: '', convert: lowerCase,
        validate: validateDnsDomain(FQDN_FIELD_SIZE), column: 'dns_domain', kind: 'string',
      },
    },
    floatingips: {
      dns_name: {
        allowPost: true, allowPut: false, isVisible: true, default: '', convert: lowerCase,
        validate: validateFipDnsName(FQDN_FIELD_SIZE), column: 'dns_name', kind: 'string',
      },
      dns_domain: {
        allowPost: true, allowPut: false, isVisible: true, default: '', convert: lowerCase,
        validate: validateDnsDomain(FQDN_FIELD_SIZE), column: 'dns_domain', kind: 'string',
      },
    },
  },
};
