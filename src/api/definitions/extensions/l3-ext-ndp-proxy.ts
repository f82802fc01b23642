import { toBoolean, UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/** A router's enable_ndp_proxy (kept in a table of the ndp_proxy plugin; false without a gateway). */
export const l3ExtNdpProxy: ExtensionDef = {
  alias: 'l3-ext-ndp-proxy',
  name: 'Router support to enable NDP proxy',
  description: 'Router extension to enable ndp proxy',
  updated: '2020-08-25T00:00:00-00:00',
  requires: ['router', 'ext-gw-mode'],
  attributes: {
    routers: {
      enable_ndp_proxy: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: UNSET, kind: 'bool',
        convert: (v) => (v === null ? v : toBoolean(v)),
      },
    },
  },
};
