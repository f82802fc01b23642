import type { AttributeDef } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

// no API validator: the metering plugin checks the three prefixes itself
const prefix = (column: string, allowPut: boolean): AttributeDef => ({
  allowPost: true, allowPut, isVisible: true, isFilter: true, isSort: true, default: null, column, kind: 'string',
});

/** source_ip_prefix and destination_ip_prefix on metering label rules; remote_ip_prefix becomes optional. */
export const meteringSourceAndDestinationFields: ExtensionDef = {
  alias: 'metering_source_and_destination_fields',
  name: 'Neutron Metering with source and destination filtering',
  description: 'Neutron Metering extension that enables the use of source and destination IP prefixes to create metering label rules.',
  updated: '2020-08-21T08:12:00-00:00',
  requires: ['metering'],
  attributes: {
    metering_label_rules: {
      remote_ip_prefix: prefix('remote_ip_prefix', false),
      source_ip_prefix: prefix('source_ip_prefix', true),
      destination_ip_prefix: prefix('destination_ip_prefix', true),
    },
  },
};
