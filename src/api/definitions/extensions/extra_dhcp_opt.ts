import { validateExtraDhcpOpts } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const extraDhcpOpt: ExtensionDef = {
  alias: 'extra_dhcp_opt',
  name: 'Neutron Extra DHCP options',
  description: 'Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)',
  updated: '2013-03-17T12:00:00-00:00',
  attributes: {
    ports: {
      extra_dhcp_opts: {
        allowPost: true, allowPut: true, isVisible: true, default: null, validate: validateExtraDhcpOpts,
        child: { table: 'port_extra_dhcp_opts', parent: 'port_id', value: { opt_name: 'opt_name', opt_value: 'opt_value', ip_version: 'ip_version' } },
      },
    },
  },
};
