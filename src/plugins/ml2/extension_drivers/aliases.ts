/**
 * ML2's extension drivers ([ml2] extension_drivers, by their entry-point names as Neutron reads
 * them) and the API extensions each one adds: an attribute exists only when its driver is named.
 */
export const EXTENSION_DRIVER_ALIASES: Readonly<Record<string, readonly string[]>> = {
  dns: ['dns-integration'],
  dns_domain_ports: ['dns-integration', 'dns-domain-ports'],
  subnet_dns_publish_fixed_ip: ['dns-integration', 'dns-domain-ports', 'subnet-dns-publish-fixed-ip'],
  data_plane_status: ['data-plane-status'],
  uplink_status_propagation: ['uplink-status-propagation'],
  port_device_profile: ['port-device-profile'],
  port_numa_affinity_policy: ['port-numa-affinity-policy'],
  tag_ports_during_bulk_creation: ['tag-ports-during-bulk-creation'],
};

/** The aliases that the configured drivers add, each once; names neutron-ts does not know add none. */
export function extensionDriverAliases(drivers: readonly string[]): string[] {
  return [...new Set(drivers.flatMap((d) => EXTENSION_DRIVER_ALIASES[d.trim()] ?? []))];
}
