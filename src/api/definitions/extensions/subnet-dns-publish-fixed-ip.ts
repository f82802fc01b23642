import { toBoolean } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const subnetDnsPublishFixedIp: ExtensionDef = {
  alias: 'subnet-dns-publish-fixed-ip',
  name: 'Subnet DNS publish fixed IP',
  description: 'Support choosing to publish DNS records for IPs from a subnet',
  updated: '2019-05-24T10:00:00-00:00',
  requires: ['dns-domain-ports'],
  attributes: {
    subnets: {
      dns_publish_fixed_ip: {
        allowPost: true, allowPut: true, isVisible: true, default: false, convert: toBoolean,
        child: { table: 'subnet_dns_publish_fixed_ips', parent: 'subnet_id', value: 'dns_publish_fixed_ip', kind: 'bool', single: true },
      },
    },
  },
};
