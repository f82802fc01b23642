import type { ExtensionDef } from '../../../lib/definitions.js';

/** The quotas API (src/quota/api.ts); plugin-agnostic, so always loaded. */
export const quotas: ExtensionDef = {
  alias: 'quotas',
  name: 'Quota management support',
  description: 'Expose functions for quotas management per project',
  updated: '2012-07-29T10:00:00-00:00',
};

export const quotaDetails: ExtensionDef = {
  alias: 'quota_details',
  name: 'Quota details management support',
  description: 'Expose functions for quotas usage statistics per project',
  updated: '2017-02-10T10:00:00-00:00',
  requires: ['quotas'],
};

export const quotaCheckLimit: ExtensionDef = {
  alias: 'quota-check-limit',
  name: 'Quota engine limit check',
  description: 'Support for checking the resource usage before applying a new quota limit',
  updated: '2021-09-08T16:00:00-00:00',
};
