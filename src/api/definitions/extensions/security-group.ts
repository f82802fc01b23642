import { noneToEmptyList, UNSET, validateUuidList } from '../../attributes.js';
import type { ExtensionDef } from '../types.js';

/**
 * The `security_groups` attribute of ports. The security-groups and security-group-rules
 * resources of this extension belong here too and come with the security-group plugin; until
 * then the plugin stores the ids as given (see ports.ts, securityGroupHook).
 */
export const securityGroup: ExtensionDef = {
  alias: 'security-group',
  name: 'security-group',
  description: 'The security groups extension.',
  updated: '2012-10-05T10:00:00-00:00',
  attributes: {
    ports: {
      security_groups: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: UNSET,
        convert: noneToEmptyList, validate: validateUuidList,
      },
    },
  },
};
