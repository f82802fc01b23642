import { UNSET, validateValues } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const dataPlaneStatus: ExtensionDef = {
  alias: 'data-plane-status',
  name: 'Port data plane status extension',
  description: 'Expose status of underlying data plane',
  updated: '2017-01-24T10:00:00-00:00',
  attributes: {
    ports: {
      data_plane_status: {
        allowPost: false, allowPut: true, isVisible: true, default: UNSET, enforcePolicy: true,
        validate: validateValues([null, 'ACTIVE', 'DOWN']),
        child: { table: 'portdataplanestatuses', parent: 'port_id', value: 'data_plane_status', single: true },
      },
    },
  },
};
