import type { ExtensionDef, ResourceDef } from '../../lib/definitions.js';
import { addressScope } from './extensions/address-scope.js';
import { agent } from './extensions/agent.js';
import { allowedAddressPairs } from './extensions/allowed-address-pairs.js';
import { availabilityZone } from './extensions/availability_zone.js';
import { binding } from './extensions/binding.js';
import { defaultSubnetpools } from './extensions/default-subnetpools.js';
import { dhcpAgentScheduler } from './extensions/dhcp_agent_scheduler.js';
import { dnsIntegration } from './extensions/dns-integration.js';
import { dvr } from './extensions/dvr.js';
import { extGwMode } from './extensions/ext-gw-mode.js';
import { externalNet } from './extensions/external-net.js';
import { extraDhcpOpt } from './extensions/extra_dhcp_opt.js';
import { extrarouteAtomic } from './extensions/extraroute-atomic.js';
import { extraroute } from './extensions/extraroute.js';
import { fipPortDetails } from './extensions/fip-port-details.js';
import { floatingipPools } from './extensions/floatingip-pools.js';
import { ipAllocation } from './extensions/ip_allocation.js';
import { ipSubstringFiltering } from './extensions/ip-substring-filtering.js';
import { l2Adjacency } from './extensions/l2_adjacency.js';
import { l3Ha } from './extensions/l3-ha.js';
import { l3AgentScheduler } from './extensions/l3_agent_scheduler.js';
import { multiProvider } from './extensions/multi-provider.js';
import { netMtuWritable } from './extensions/net-mtu-writable.js';
import { netMtu } from './extensions/net-mtu.js';
import { networkIpAvailability } from './extensions/network-ip-availability.js';
import { networkSegmentRange } from './extensions/network-segment-range.js';
import { networkAvailabilityZone } from './extensions/network_availability_zone.js';
import { portMacAddressRegenerate } from './extensions/port-mac-address-regenerate.js';
import { portSecurity } from './extensions/port-security.js';
import { provider } from './extensions/provider.js';
import { quotaCheckLimit, quotaDetails, quotas } from './extensions/quotas.js';
import { routerAdminStateDownBeforeUpdate } from './extensions/router-admin-state-down-before-update.js';
import { router } from './extensions/router.js';
import { routerAvailabilityZone } from './extensions/router_availability_zone.js';
import { portSecurityGroupsFiltering, securityGroup, securityGroupsNormalizedCidr, statefulSecurityGroup } from './extensions/security-group.js';
import { segment, segmentsPeerSubnetHostRoutes, standardAttrSegment, subnetSegmentidWritable } from './extensions/segment.js';
import * as shims from './extensions/shims.js';
import { standardAttrDescription } from './extensions/standard-attr-description.js';
import { standardAttrRevisions } from './extensions/standard-attr-revisions.js';
import { standardAttrTag } from './extensions/standard-attr-tag.js';
import { standardAttrTimestamp } from './extensions/standard-attr-timestamp.js';
import { subnetServiceTypes } from './extensions/subnet-service-types.js';
import { subnetAllocation } from './extensions/subnet_allocation.js';
import { subnetpoolPrefixOps } from './extensions/subnetpool-prefix-ops.js';
import { addressGroup, securityGroupsRemoteAddressGroup } from './extensions/address-group.js';
import { rbacAddressGroup, rbacAddressScope, rbacPolicies, rbacSecurityGroups, rbacSubnetpool } from './extensions/rbac-policies.js';
import { securityGroupsSharedFiltering } from './extensions/security-groups-shared-filtering.js';
import { qos } from './extensions/qos.js';
import { qosBwLimitDirection } from './extensions/qos-bw-limit-direction.js';
import { qosBwMinimumIngress } from './extensions/qos-bw-minimum-ingress.js';
import { qosDefault } from './extensions/qos-default.js';
import { qosPortNetworkPolicy } from './extensions/qos-port-network-policy.js';
import { qosPps } from './extensions/qos-pps.js';
import { qosPpsMinimum } from './extensions/qos-pps-minimum.js';
import { qosPpsMinimumRuleAlias } from './extensions/qos-pps-minimum-rule-alias.js';
import { qosRuleTypeDetails } from './extensions/qos-rule-type-details.js';
import { qosRuleTypeFilter } from './extensions/qos-rule-type-filter.js';
import { qosRulesAlias } from './extensions/qos-rules-alias.js';
import { qosFip } from './extensions/qos-fip.js';
import { portResourceRequest, portResourceRequestGroups } from './extensions/port-resource-request.js';
import { qosGatewayIp } from './extensions/qos-gateway-ip.js';
import { trunk, trunkDetails } from './extensions/trunk.js';
import { agentResourcesSynced } from './extensions/agent-resources-synced.js';
import { availabilityZoneFilter } from './extensions/availability_zone_filter.js';
import { bindingExtended } from './extensions/binding-extended.js';
import { dataPlaneStatus } from './extensions/data-plane-status.js';
import { dnsDomainPorts } from './extensions/dns-domain-ports.js';
import { portDeviceProfile } from './extensions/port-device-profile.js';
import { portNumaAffinityPolicy } from './extensions/port-numa-affinity-policy.js';
import { subnetDnsPublishFixedIp } from './extensions/subnet-dns-publish-fixed-ip.js';
import { subnetOnboard } from './extensions/subnet_onboard.js';
import { uplinkStatusPropagation } from './extensions/uplink-status-propagation.js';
import { network } from './network.js';
import { port } from './port.js';
import { subnet } from './subnet.js';
import { subnetpool } from './subnetpool.js';
import { floatingIpPortForwarding } from './extensions/floating-ip-port-forwarding.js';
import { fipPfDescription } from './extensions/fip-pf-description.js';
import { fipPfDetail } from './extensions/fip-pf-detail.js';
import { fipPfPortRanges } from './extensions/fip-pf-port-ranges.js';
import { exposePortForwardingInFip } from './extensions/expose-port-forwarding-in-fip.js';
import { metering } from './extensions/metering.js';
import { meteringSourceAndDestinationFields } from './extensions/metering-source-and-destination-fields.js';
import { l3ConntrackHelper } from './extensions/l3-conntrack-helper.js';
import { exposeL3ConntrackHelper } from './extensions/expose-l3-conntrack-helper.js';
import { l3PortIpChangeNotAllowed } from './extensions/l3-port-ip-change-not-allowed.js';
import { autoAllocatedTopology } from './extensions/auto-allocated-topology.js';
import { flavors } from './extensions/flavors.js';
import { serviceType } from './extensions/service-type.js';
import { l3Flavors } from './extensions/l3-flavors.js';
import { localIp } from './extensions/local_ip.js';
import { logging } from './extensions/logging.js';
import { l3NdpProxy } from './extensions/l3-ndp-proxy.js';
import { l3ExtNdpProxy } from './extensions/l3-ext-ndp-proxy.js';

/** The core resources, always served; they have no extension descriptor. */
export const coreResources: ResourceDef[] = [network, subnet, subnetpool, port];

/** Every extension the server knows; a plugin's supported aliases decide which are loaded. */
export const allExtensions: ExtensionDef[] = [
  agent, provider, multiProvider, externalNet, netMtu, netMtuWritable, availabilityZone, networkAvailabilityZone,
  l2Adjacency, portSecurity, standardAttrDescription, standardAttrTimestamp, standardAttrRevisions, standardAttrTag,
  subnetAllocation, defaultSubnetpools, subnetpoolPrefixOps, addressScope, subnetServiceTypes, binding, allowedAddressPairs,
  extraDhcpOpt, portMacAddressRegenerate, securityGroup, dnsIntegration, ipSubstringFiltering, networkIpAvailability, segment,
  quotas, quotaDetails, quotaCheckLimit, statefulSecurityGroup, securityGroupsNormalizedCidr, portSecurityGroupsFiltering,
  router, extGwMode, extraroute, extrarouteAtomic, dvr, l3Ha, routerAvailabilityZone, fipPortDetails, routerAdminStateDownBeforeUpdate,
  l3AgentScheduler, dhcpAgentScheduler, floatingipPools,
  rbacPolicies, rbacSecurityGroups, rbacAddressScope, rbacSubnetpool, securityGroupsSharedFiltering,
  addressGroup, rbacAddressGroup, securityGroupsRemoteAddressGroup,
  trunk, trunkDetails,
  standardAttrSegment, subnetSegmentidWritable, ipAllocation, segmentsPeerSubnetHostRoutes, networkSegmentRange,
  ...Object.values(shims),
  qos, qosBwLimitDirection, qosBwMinimumIngress, qosDefault, qosPortNetworkPolicy, qosPps, qosPpsMinimum, qosPpsMinimumRuleAlias,
  qosRuleTypeDetails, qosRuleTypeFilter, qosRulesAlias,
  qosFip,
  portResourceRequest, portResourceRequestGroups,
  qosGatewayIp,
  dnsDomainPorts, subnetDnsPublishFixedIp, dataPlaneStatus, uplinkStatusPropagation, portDeviceProfile, portNumaAffinityPolicy,
  bindingExtended, subnetOnboard, availabilityZoneFilter, agentResourcesSynced,
  floatingIpPortForwarding, fipPfDescription, fipPfDetail, fipPfPortRanges, exposePortForwardingInFip,
  metering, meteringSourceAndDestinationFields,
  l3ConntrackHelper, exposeL3ConntrackHelper,
  l3PortIpChangeNotAllowed, autoAllocatedTopology, flavors, serviceType, l3Flavors, localIp, logging,
  l3NdpProxy, l3ExtNdpProxy,
];

/** Extensions of the API layer itself, served whatever the plugins (Neutron's plugin-agnostic ones). */
export const apiExtensionAliases = ['project-id', 'pagination', 'sorting', 'filter-validation', 'empty-string-filtering', 'revision-if-match',
  'quotas', 'quota_details', 'quota-check-limit'];
