import type { ExtensionDef } from '../../../lib/definitions.js';

export const l3PortIpChangeNotAllowed: ExtensionDef = {
  alias: 'l3-port-ip-change-not-allowed',
  name: 'Prevent L3 router ports IP address change extension',
  description: 'Prevent change of IP address for some L3 router ports',
  updated: '2018-10-09T10:00:00-00:00',
  requires: ['router'],
};
