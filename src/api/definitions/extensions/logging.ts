import {
  idAttribute, nameAttribute, projectAttribute, toBoolean, validateString, validateUuidOrNone, validateValues,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const LOG_EVENTS = ['ACCEPT', 'DROP', 'ALL'];

/** /v2.0/log/logs (admin-made packet logs of security groups) and /v2.0/log/loggable-resources. */
export const logging: ExtensionDef = {
  alias: 'logging',
  name: 'Logging API Extension',
  description: 'Provides a logging API for resources such as security group and firewall.',
  updated: '2017-01-01T10:00:00-00:00',
  resources: [
    {
      name: 'log',
      collection: 'logs',
      pathPrefix: 'log',
      table: 'logs',
      standardAttributes: true,
      attributes: {
        id: idAttribute,
        tenant_id: projectAttribute(),
        name: nameAttribute,
        resource_type: {
          allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, requiredByPolicy: true,
          validate: validateString(36), column: 'resource_type', kind: 'string',
        },
        resource_id: {
          allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: null, validate: validateUuidOrNone, column: 'resource_id', kind: 'string',
        },
        event: { allowPost: true, allowPut: false, isVisible: true, isFilter: true, default: 'ALL', validate: validateValues(LOG_EVENTS), column: 'event', kind: 'string' },
        target_id: {
          allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: null, validate: validateUuidOrNone, column: 'target_id', kind: 'string',
        },
        enabled: { allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: true, convert: toBoolean, column: 'enabled', kind: 'bool' },
      },
    },
    {
      name: 'loggable_resource',
      collection: 'loggable_resources',
      path: 'loggable-resources',
      pathPrefix: 'log',
      table: 'loggable_resources',
      pagination: false,
      attributes: { type: { allowPost: false, allowPut: false, isVisible: true, kind: 'string' } },
    },
  ],
};
