import { toBoolean, validateBoolean } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const defaultSubnetpools: ExtensionDef = {
  alias: 'default-subnetpools',
  name: 'Default Subnetpools',
  description: 'Provides ability to mark and use a subnetpool as the default.',
  updated: '2016-02-18T18:00:00-00:00',
  requires: ['subnet_allocation'],
  attributes: {
    subnets: {
      use_default_subnetpool: { allowPost: true, allowPut: false, isVisible: false, default: false, convert: toBoolean, validate: validateBoolean },
    },
  },
};
