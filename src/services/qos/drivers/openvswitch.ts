import { DB_INTEGER_MAX_VALUE, VALID_DIRECTIONS, VALID_DIRECTIONS_AND_ANY, VALID_DSCP_MARKS } from '../../../api/definitions/extensions/qos.js';
import type { QosDriver } from './driver.js';

const rate = { 'type:range': [0, DB_INTEGER_MAX_VALUE] } as const satisfies { 'type:range': [number, number] };

/** neutron.services.qos.drivers.openvswitch.driver */
export const openvswitchQosDriver: QosDriver = {
  name: 'openvswitch',
  vifTypes: ['ovs', 'vhostuser'],
  vnicTypes: ['normal', 'direct'],
  supportedRules: {
    bandwidth_limit: { max_kbps: rate, max_burst_kbps: rate, direction: { 'type:values': VALID_DIRECTIONS } },
    packet_rate_limit: { max_kpps: rate, max_burst_kpps: rate, direction: { 'type:values': VALID_DIRECTIONS } },
    dscp_marking: { dscp_mark: { 'type:values': VALID_DSCP_MARKS } },
    minimum_bandwidth: { min_kbps: rate, direction: { 'type:values': VALID_DIRECTIONS } },
    minimum_packet_rate: { min_kpps: rate, direction: { 'type:values': VALID_DIRECTIONS_AND_ANY } },
  },
};
