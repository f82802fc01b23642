import { DESCRIPTION_FIELD_SIZE, validateStringOrNone } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const portDeviceProfile: ExtensionDef = {
  alias: 'port-device-profile',
  name: 'Port device profile',
  description: 'Expose the port device profile (Cyborg)',
  updated: '2020-12-17T10:00:00-00:00',
  attributes: {
    ports: {
      device_profile: {
        allowPost: true, allowPut: false, isVisible: true, default: null, validate: validateStringOrNone(DESCRIPTION_FIELD_SIZE),
        child: { table: 'portdeviceprofiles', parent: 'port_id', value: 'device_profile', single: true },
      },
    },
  },
};
