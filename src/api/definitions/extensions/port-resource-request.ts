import { UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/** resource_request: what a port's QoS minimum rules ask Placement for (admins only, by policy). */
export const portResourceRequest: ExtensionDef = {
  alias: 'port-resource-request',
  name: 'Port Resource Request',
  description: 'Expose resource request to Port',
  updated: '2018-05-08T10:00:00-00:00',
  attributes: { ports: { resource_request: { allowPost: false, allowPut: false, isVisible: true, default: UNSET } } },
};

/** resource_request in the groups format (request_groups and same_subtree): the only one served. */
export const portResourceRequestGroups: ExtensionDef = {
  alias: 'port-resource-request-groups',
  name: 'Port Resource Request Groups',
  description: 'Support requesting multiple groups of resources and traits from the same RP subtree in resource_request',
  updated: '2021-08-02T10:00:00-00:00',
};
