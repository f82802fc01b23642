import type { Config } from '../../config/index.js';
import type { ResourceHandler } from '../../registry/handler.js';
import type { SqlResource } from '../../registry/resource.js';
import type { Authorizer } from '../../api/controller.js';
import type { SubRoutes } from '../../api/tags.js';
import type { Plugin, PluginContext, RpcListener, WorkerSpec } from '../plugin.js';
import { createAddressGroupResource, checkRuleAddressGroup } from './address-groups.js';
import { QuotaEngine } from '../../quota/engine.js';
import { createAddressScopeResource } from './address-scopes.js';
import { createAgentResource, createAvailabilityZoneResource } from './agents.js';
import { extensionDriverAliases } from './extension_drivers/aliases.js';
import { dnsExtensionDriver } from './extension_drivers/dns.js';
import { portNumaAffinityPolicyDriver } from './extension_drivers/port-numa-affinity-policy.js';
import { tagPortsDuringBulkCreationDriver } from './extension_drivers/tag-ports-during-bulk-creation.js';
import { uplinkStatusPropagationDriver } from './extension_drivers/uplink-status-propagation.js';
import { createNetworkResource } from './networks.js';
import { bindPortsOnWrite, mechanismDrivers } from './port-binding.js';
import { portBindingRoutes, type PortBindingsOptions } from './port-bindings-api.js';
import { createPortResource } from './ports.js';
import { createRbacPolicyResource, lockSharedOnUse, registerMl2RbacTypes } from './rbac-policies.js';
import { dhcpAgentStatusCheckWorker, Ml2Rpc } from './rpc/ml2-rpc.js';
import { createSecurityGroupResources, SECURITY_GROUP_ALIASES } from './security-groups.js';
import { createSubnetPoolResource } from './subnetpools.js';
import { createSubnetResource } from './subnets.js';
import { TypeManager } from './type-manager.js';

/** ML2, the core plugin: networks, subnets, subnet pools and ports, through type and mechanism drivers. */
export class Ml2Plugin implements Plugin {
  readonly name = 'ml2';
  readonly supportedExtensionAliases: readonly string[] = [
    'provider', 'multi-provider', 'external-net', 'net-mtu', 'net-mtu-writable', 'l2_adjacency', 'port-security',
    'availability_zone', 'network_availability_zone', 'agent',
    'standard-attr-description', 'standard-attr-timestamp', 'standard-attr-revisions',
    'subnet_allocation', 'default-subnetpools', 'subnetpool-prefix-ops', 'address-scope', 'subnet-service-types',
    'binding', 'allowed-address-pairs', 'extra_dhcp_opt', 'port-mac-address-regenerate', 'ip-substring-filtering',
    'dhcp_agent_scheduler', 'port-mac-override', 'binding-extended', 'subnet_onboard', 'availability_zone_filter',
    'agent-resources-synced',
    'rbac-policies', 'rbac-address-scope', 'rbac-subnetpool',
  ];
  types?: TypeManager;
  /** the core resources, for service plugins that work on them (L3 creates and deletes ports) */
  resources?: { networks: SqlResource; subnets: SqlResource; ports: SqlResource; agents: SqlResource };
  /** the agents' RPC: endpoints, port binding, DHCP and L2 agent notifications */
  rpc?: Ml2Rpc;
  /** binding-extended's routes need the drivers that bind */
  private bindings?: PortBindingsOptions;
  private db?: PluginContext['db'];
  private api?: PluginContext['api'];

  constructor(config?: { DEFAULT?: { service_plugins: string[] }; ml2: { extension_drivers: string[] }; securitygroup?: { enable_security_group: boolean } }) {
    // [securitygroup] enable_security_group = False: no security groups at all, as in Neutron
    if (config?.securitygroup?.enable_security_group !== false) {
      this.supportedExtensionAliases = [...this.supportedExtensionAliases, ...SECURITY_GROUP_ALIASES];
    }
    // subnets' segment_id, with the segments service plugin (which will serve /v2.0/segments)
    if (config?.DEFAULT?.service_plugins.some((p) => p === 'segments' || p === 'neutron.services.segments.plugin.Plugin')) {
      this.supportedExtensionAliases = [...this.supportedExtensionAliases, 'segment'];
    }
    // the attributes of ML2's extension drivers (dns, data_plane_status, ...), as in Neutron
    this.supportedExtensionAliases = [...this.supportedExtensionAliases, ...extensionDriverAliases(config?.ml2.extension_drivers ?? [])];
  }

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { config, api, db } = ctx;
    this.types = new TypeManager({
      type_drivers: config.ml2.type_drivers,
      tenant_network_types: config.ml2.tenant_network_types,
      flat_networks: config.ml2_type_flat.flat_networks,
      network_vlan_ranges: config.ml2_type_vlan.network_vlan_ranges,
      vxlan_vni_ranges: config.ml2_type_vxlan.vni_ranges,
      geneve_vni_ranges: config.ml2_type_geneve.vni_ranges,
      geneve_max_header_size: config.ml2_type_geneve.max_header_size,
      gre_tunnel_id_ranges: config.ml2_type_gre.tunnel_id_ranges,
      global_physnet_mtu: config.DEFAULT.global_physnet_mtu,
      path_mtu: config.ml2.path_mtu,
      physical_network_mtus: config.ml2.physical_network_mtus,
      overlay_ip_version: config.ml2.overlay_ip_version as 4 | 6,
    });
    const d = config.DEFAULT;
    const networks = createNetworkResource(ctx, api, this.types);
    const ports = createPortResource(ctx, api, {
      baseMac: d.base_mac, maxAllowedAddressPairs: d.max_allowed_address_pair, dnsDomain: d.dns_domain,
    });
    const subnets = createSubnetResource(ctx, api, {
      maxDnsNameservers: d.max_dns_nameservers, maxSubnetHostRoutes: d.max_subnet_host_routes,
      allowOverlappingIps: d.allow_overlapping_ips, ipv6PdEnabled: d.ipv6_pd_enabled,
    });
    const agents = createAgentResource(ctx, api, d.agent_down_time);
    this.resources = { networks, subnets, ports, agents };
    const { drivers, unknown } = mechanismDrivers(config.ml2.mechanism_drivers);
    if (unknown.length && ctx.role === 'api') ctx.log.warn(`[ml2] mechanism_drivers ${unknown.join(', ')} are not implemented by neutron-ts: ports are not bound by them`);
    bindPortsOnWrite(ctx.events, drivers, d.agent_down_time);
    registerMl2RbacTypes(ctx.rbac, new Set(api.extensions.map((e) => e.alias)));
    lockSharedOnUse(ctx.events);
    ctx.events.subscribe('security_group_rule', 'before_create', (tx, { context, current }) => checkRuleAddressGroup(tx, context, current));
    bindPortsOnWrite(ctx.events, drivers, d.agent_down_time, d.base_mac);
    this.bindings = { drivers, agentDownTime: d.agent_down_time, baseMac: d.base_mac };
    this.db = db;
    this.api = api;
    dnsExtensionDriver(ctx.events, api, d.dns_domain);
    portNumaAffinityPolicyDriver(ctx.events, api);
    uplinkStatusPropagationDriver(ctx.events, api);
    tagPortsDuringBulkCreationDriver(ctx.events, api);
    const ruleQuota = new QuotaEngine(db, config, api);
    this.rpc = new Ml2Rpc(ctx, { networks, subnets, ports, agents }, new Set(this.types.drivers.keys()));
    return {
      networks,
      subnets,
      subnetpools: createSubnetPoolResource(ctx, api),
      ports,
      ...(api.resources.has('address_scopes') ? { address_scopes: createAddressScopeResource(ctx, api) } : {}),
      ...(api.resources.has('security_groups') ? createSecurityGroupResources(ctx, api, (tx, project, delta) => ruleQuota.limitCheck(tx, project, 'security_group_rule', delta)) : {}),
      agents,
      availability_zones: createAvailabilityZoneResource(db),
      ...(api.resources.has('rbac_policies') ? { rbac_policies: createRbacPolicyResource(ctx, api, ctx.rbac) } : {}),
      ...(api.resources.has('address_groups') ? { address_groups: createAddressGroupResource(ctx, api, ctx.rbac) } : {}),
    };
  }

  routes(policy: Authorizer): SubRoutes {
    const bindings = this.api?.hasExtension('binding-extended') && this.rpc && this.resources && this.bindings && this.db
      ? portBindingRoutes(this.db, policy, this.resources.ports, this.rpc.l2Notifier, this.bindings) : {};
    return { ...(this.rpc?.routes(policy) ?? {}), ...bindings };
  }

  /** The DHCP agent status check (allow_automatic_dhcp_failover), when agents can reach the server. */
  getWorkers(config: Config): WorkerSpec[] {
    const url = config.DEFAULT.transport_url;
    if (!config.DEFAULT.allow_automatic_dhcp_failover || url === null || /^(memory|fake):/i.test(url)) return [];
    return [dhcpAgentStatusCheckWorker(config.DEFAULT.agent_down_time, () => this.rpc)];
  }

  rpcListeners(): RpcListener[] {
    return this.rpc?.listeners() ?? [];
  }

  rpcStateReportListeners(): RpcListener[] {
    return this.rpc?.reportListeners() ?? [];
  }
}
