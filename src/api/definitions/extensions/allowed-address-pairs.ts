import { validateAllowedAddressPairs } from '../../../lib/address-validators.js';
import { noneToEmptyList, UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const allowedAddressPairs: ExtensionDef = {
  alias: 'allowed-address-pairs',
  name: 'Allowed Address Pairs',
  description: 'Provides allowed address pairs',
  updated: '2013-07-23T10:00:00-00:00',
  attributes: {
    ports: {
      allowed_address_pairs: {
        allowPost: true, allowPut: true, isVisible: true, default: UNSET, enforcePolicy: true,
        convert: noneToEmptyList, validate: validateAllowedAddressPairs,
        child: { table: 'port_allowed_address_pairs', parent: 'port_id', value: { ip_address: 'ip_address', mac_address: 'mac_address' } },
      },
    },
  },
};
