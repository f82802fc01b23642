import { DB_INTEGER_MAX_VALUE, VALID_DIRECTIONS, VALID_DSCP_MARKS } from '../../../api/definitions/extensions/qos.js';
import type { QosDriver } from './driver.js';

/** neutron.services.qos.drivers.linuxbridge.driver */
export const linuxbridgeQosDriver: QosDriver = {
  name: 'linuxbridge',
  vifTypes: ['bridge', 'tap'],
  vnicTypes: ['normal'],
  supportedRules: {
    bandwidth_limit: {
      max_kbps: { 'type:range': [0, DB_INTEGER_MAX_VALUE] },
      max_burst_kbps: { 'type:range': [0, DB_INTEGER_MAX_VALUE] },
      direction: { 'type:values': VALID_DIRECTIONS },
    },
    dscp_marking: { dscp_mark: { 'type:values': VALID_DSCP_MARKS } },
  },
};
