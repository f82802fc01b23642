import { toLowerCaseString, validateDnsDomain } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';
import { FQDN_FIELD_SIZE } from './dns-integration.js';

export const dnsDomainPorts: ExtensionDef = {
  alias: 'dns-domain-ports',
  name: 'dns_domain for ports',
  description: 'Allows the DNS domain to be specified for a network port.',
  updated: '2017-04-24T10:00:00-00:00',
  requires: ['dns-integration'],
  attributes: {
    ports: {
      dns_domain: {
        allowPost: true, allowPut: true, isVisible: true, default: '', convert: toLowerCaseString,
        validate: validateDnsDomain(FQDN_FIELD_SIZE),
        child: { table: 'portdnses', parent: 'port_id', value: 'dns_domain', single: true },
      },
    },
  },
};
