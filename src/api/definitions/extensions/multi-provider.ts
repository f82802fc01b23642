import { convertNetworkSegments, UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const multiProvider: ExtensionDef = {
  alias: 'multi-provider',
  name: 'Multi Provider Network',
  description: 'Expose mapping of virtual networks to multiple physical networks',
  updated: '2013-06-27T10:00:00-00:00',
  attributes: {
    networks: {
      segments: { allowPost: true, allowPut: true, isVisible: true, enforcePolicy: true, default: UNSET, convert: convertNetworkSegments },
    },
  },
};
