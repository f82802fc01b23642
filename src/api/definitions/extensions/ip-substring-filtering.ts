import type { ExtensionDef } from '../../../lib/definitions.js';

/** `fixed_ips=ip_address_substr=...` port filters. */
export const ipSubstringFiltering: ExtensionDef = {
  alias: 'ip-substring-filtering',
  name: 'IP address substring filtering',
  description: 'Provides IP address substring filtering when listing ports',
  updated: '2017-11-28T09:00:00-00:00',
};
