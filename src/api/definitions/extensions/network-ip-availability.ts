import { toInt } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const readOnly = { allowPost: false, allowPut: false, isVisible: true };

export const networkIpAvailability: ExtensionDef = {
  alias: 'network-ip-availability',
  name: 'Network IP Availability',
  description: 'Provides IP availability data for each network and subnet.',
  updated: '2015-09-24T00:00:00-00:00',
  resources: [{
    name: 'network_ip_availability',
    collection: 'network_ip_availabilities',
    path: 'network-ip-availabilities',
    table: 'networks',
    allowBulk: false,
    attributes: {
      network_id: { ...readOnly, isFilter: true, isSort: true, primaryKey: true },
      network_name: { ...readOnly, isFilter: true },
      tenant_id: { ...readOnly, isFilter: true },
      total_ips: readOnly,
      used_ips: readOnly,
      subnet_ip_availability: readOnly,
      // a filter only: the networks that have subnets of this version
      ip_version: { allowPost: false, allowPut: false, isVisible: false, isFilter: true, convert: toInt },
    },
  }],
};
