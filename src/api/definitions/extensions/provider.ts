import { toInt, validateString, UNSET, type AttributeDef } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const providerAttr = (extra: Partial<AttributeDef>): AttributeDef => ({
  allowPost: true, allowPut: true, isVisible: true, isFilter: true, enforcePolicy: true, default: UNSET, ...extra,
});

export const provider: ExtensionDef = {
  alias: 'provider',
  name: 'Provider Network',
  description: 'Expose mapping of virtual networks to physical networks',
  updated: '2012-09-07T10:00:00-00:00',
  attributes: {
    networks: {
      'provider:network_type': providerAttr({ validate: validateString(32) }),
      'provider:physical_network': providerAttr({ validate: validateString(64) }),
      'provider:segmentation_id': providerAttr({ convert: toInt }),
    },
  },
};
