import deploymentEgressBlocked from "./rules/deployment-egress-blocked.js";
import deploymentFailsSelectedIps from "./rules/deployment-fails-selected-ips.js";
import deploymentEgressFlagIgnored from "./rules/deployment-egress-flag-ignored.js";
import deploymentPublicEgress from "./rules/deployment-public-egress.js";
import dependencyInOtherResourceGroup from "./rules/dependency-in-other-resource-group.js";
import endpointPrivateUnreachable from "./rules/endpoint-private-unreachable.js";
import endpointPublicInbound from "./rules/endpoint-public-inbound.js";
import endpointPublicSelectedIps from "./rules/endpoint-public-selected-ips.js";
import exemptionExpired from "./rules/exemption-expired.js";
import broadOutboundRule from "./rules/broad-outbound-rule.js";
import kubernetesEndpointOutsidePolicy from "./rules/kubernetes-endpoint-outside-policy.js";
import legacyEgressMissingPrivateEndpoints from "./rules/legacy-egress-missing-private-endpoints.js";
import privateEgressMcrImage from "./rules/private-egress-mcr-image.js";
import privateEndpointNotApproved from "./rules/private-endpoint-not-approved.js";
import registryNotPremium from "./rules/registry-not-premium.js";
import scopeUnreadable from "./rules/scope-unreadable.js";
import workspaceInternetOutbound from "./rules/workspace-internet-outbound.js";
import workspacePublicInbound from "./rules/workspace-public-inbound.js";
import workspacePublicSelectedIps from "./rules/workspace-public-selected-ips.js";
import workspaceWithoutPrivateLink from "./rules/workspace-without-private-link.js";
import foundryAgentsOutsideNetwork from "./rules/foundry-agents-outside-network.js";
import foundryBroadOutboundRule from "./rules/foundry-broad-outbound-rule.js";
import foundryInternetOutbound from "./rules/foundry-internet-outbound.js";
import foundryOutboundRuleInactive from "./rules/foundry-outbound-rule-inactive.js";
import foundryManagedNetworkMissing from "./rules/foundry-managed-network-missing.js";
import outboundRuleInactive from "./rules/outbound-rule-inactive.js";
import foundryPrivateEndpointNotApproved from "./rules/foundry-private-endpoint-not-approved.js";
import foundryPrivateUnreachable from "./rules/foundry-private-unreachable.js";
import foundryPublicInbound from "./rules/foundry-public-inbound.js";
import foundryPublicSelectedNetworks from "./rules/foundry-public-selected-networks.js";
import foundryWithoutPrivateLink from "./rules/foundry-without-private-link.js";
import privateEndpointDnsMissing from "./rules/private-endpoint-dns-missing.js";
import privateDnsZoneNotLinked from "./rules/private-dns-zone-not-linked.js";
import privateEndpointCustomDns from "./rules/private-endpoint-custom-dns.js";
import workspaceDefaultResourcesPublic from "./rules/workspace-default-resources-public.js";
import foundryAgentStorePublic from "./rules/foundry-agent-store-public.js";
import foundryAgentStoreNoOutboundRule from "./rules/foundry-agent-store-no-outbound-rule.js";
import agentNetworkDnsZoneNotLinked from "./rules/agent-network-dns-zone-not-linked.js";
import agentNetworkCustomDns from "./rules/agent-network-custom-dns.js";
import computePublicIp from "./rules/compute-public-ip.js";
import computeOutsideVirtualNetwork from "./rules/compute-outside-virtual-network.js";
import computeSshPublic from "./rules/compute-ssh-public.js";
import type { Rule } from "./types.js";

/** Every rule, in catalog order (DESIGN §3). */
export const RULES: readonly Rule[] = [
  endpointPublicInbound,
  endpointPrivateUnreachable,
  workspacePublicInbound,
  privateEndpointNotApproved,
  workspaceWithoutPrivateLink,
  kubernetesEndpointOutsidePolicy,
  deploymentPublicEgress,
  workspaceInternetOutbound,
  deploymentEgressFlagIgnored,
  deploymentEgressBlocked,
  legacyEgressMissingPrivateEndpoints,
  registryNotPremium,
  dependencyInOtherResourceGroup,
  privateEgressMcrImage,
  broadOutboundRule,
  endpointPublicSelectedIps,
  workspacePublicSelectedIps,
  deploymentFailsSelectedIps,
  outboundRuleInactive,
  workspaceDefaultResourcesPublic,
  foundryPublicInbound,
  foundryPublicSelectedNetworks,
  foundryWithoutPrivateLink,
  foundryPrivateUnreachable,
  foundryPrivateEndpointNotApproved,
  foundryAgentsOutsideNetwork,
  foundryInternetOutbound,
  foundryBroadOutboundRule,
  foundryOutboundRuleInactive,
  foundryManagedNetworkMissing,
  foundryAgentStorePublic,
  foundryAgentStoreNoOutboundRule,
  privateEndpointDnsMissing,
  privateDnsZoneNotLinked,
  privateEndpointCustomDns,
  agentNetworkDnsZoneNotLinked,
  agentNetworkCustomDns,
  computePublicIp,
  computeOutsideVirtualNetwork,
  computeSshPublic,
  scopeUnreadable,
  exemptionExpired,
];

const byId = new Map(RULES.map((r) => [r.id, r]));

export function ruleById(id: string): Rule | undefined {
  return byId.get(id.toUpperCase());
}
