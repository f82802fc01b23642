import { convertToSanitizedMacAddress, validateMacAddressOrNone } from '../../../lib/address-validators.js';
import { UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/** mac_address: null on update asks for a new random MAC (the plugin generates it from base_mac). */
export const portMacAddressRegenerate: ExtensionDef = {
  alias: 'port-mac-address-regenerate',
  name: 'Neutron Port MAC address regenerate',
  description: 'Network port MAC address regenerate',
  updated: '2018-05-03T10:00:00-00:00',
  attributes: {
    ports: {
      mac_address: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: UNSET, enforcePolicy: true,
        convert: (v) => (v === null ? null : convertToSanitizedMacAddress(v)), validate: validateMacAddressOrNone,
        column: 'mac_address', kind: 'string',
      },
    },
  },
};
