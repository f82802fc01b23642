/**
 * ML2's dns extension drivers (dns, dns_domain_ports, subnet_dns_publish_fixed_ip) without an
 * external DNS driver, as Neutron runs them: the names are stored and checked against
 * [DEFAULT] dns_domain; dns_assignment is derived when a port is shown (ports.ts).
 */
import { dnsNameWithDomainError } from '../../../lib/attributes.js';
import type { Item } from '../../../lib/definitions.js';
import { HTTPBadRequest } from '../../../lib/errors.js';
import type { ApiModel } from '../../../api/model.js';
import type { EventRegistry } from '../../../registry/events.js';
import { FQDN_FIELD_SIZE } from '../../../api/definitions/extensions/dns-integration.js';

/** neutron-lib's DNS_DOMAIN_DEFAULT */
const DNS_DOMAIN_DEFAULT = 'openstacklocal.';

export function dnsExtensionDriver(events: EventRegistry, api: ApiModel, configuredDomain: string): void {
  if (!api.hasExtension('dns-integration')) return;
  const domain = !configuredDomain ? '' : configuredDomain.endsWith('.') ? configuredDomain : `${configuredDomain}.`;
  // with the default [DEFAULT] dns_domain Neutron keeps no name or domain for a port
  const portNames = !!domain && domain !== DNS_DOMAIN_DEFAULT;
  const portDomains = api.hasExtension('dns-domain-ports');

  /** validate_dns_name's second half: the name as it will be published under [DEFAULT] dns_domain */
  function checkName(port: Item): void {
    const name = port.dns_name;
    if (!portNames || typeof name !== 'string' || !name) return;
    const reason = dnsNameWithDomainError(name, domain, configuredDomain, FQDN_FIELD_SIZE);
    if (reason) throw new HTTPBadRequest(`Invalid input for dns_name. Reason: ${reason}.`);
  }

  events.subscribe('port', 'before_create', (_tx, { current: p }) => {
    checkName(p);
    if (portDomains && !portNames) p.dns_domain = '';
  });
  events.subscribe('port', 'before_update', (_tx, { changes }) => {
    checkName(changes);
    if (portDomains && !portNames && 'dns_domain' in changes) changes.dns_domain = '';
  });

  // objects written before their driver was configured have no row: Neutron shows the defaults
  if (portDomains) {
    events.extend('port', async (_q, ports, _ctx, wanted) => {
      if (wanted && !wanted.has('dns_domain')) return;
      for (const p of ports) p.dns_domain ??= '';
    });
  }
  if (api.hasExtension('subnet-dns-publish-fixed-ip')) {
    events.extend('subnet', async (_q, subnets, _ctx, wanted) => {
      if (wanted && !wanted.has('dns_publish_fixed_ip')) return;
      for (const s of subnets) s.dns_publish_fixed_ip ??= false;
    });
  }
}
