/**
 * What the inventory and the rules both know of private endpoint DNS (DESIGN §3, "Private endpoint DNS"):
 * which resources' private endpoints are judged, the private DNS zone names each needs (Learn, "Azure Private
 * Endpoint private DNS zone values": docs/sources/private-endpoint-dns.md), and how ids relate.
 */
import { TYPES, parentId, sameId, sameValue } from "./arm-ids.js";
import { isFoundryAccount } from "./foundry.js";
import { record, str } from "./json-values.js";
import type { ArmResource } from "./snapshot.js";

/**
 * api-version of the network reads (private endpoints, their zone groups, virtual networks): the newest whose
 * schema the emulator holds (src/emulator/rest-specs.json). `@azure/arm-network` 39 speaks 2026-01-01, but its
 * client context takes the version from the URL the inventory gives it.
 */
export const NETWORK_API_VERSION = "2025-09-01";
/** api-version of `Microsoft.Network/privateDnsZones` and their links (Private DNS's newest stable). */
export const PRIVATE_DNS_API_VERSION = "2024-06-01";

const ML_ZONES = ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"];
/** A Foundry resource answers on all three names; an Azure OpenAI account on `*.openai.azure.com` only. */
const AI_SERVICES_ZONES = [
  "privatelink.cognitiveservices.azure.com",
  "privatelink.openai.azure.com",
  "privatelink.services.ai.azure.com",
];
const OPENAI_ZONES = ["privatelink.openai.azure.com"];

/**
 * The zone of each kind of store Foundry agents write to (docs/sources/private-endpoint-dns.md): Cosmos DB for
 * NoSQL (`Sql`), AI Search (`searchService`), Storage (`blob`, where the agents' files are). By lower-case type.
 */
export const AGENT_STORE_ZONES: Readonly<Record<string, readonly string[]>> = {
  "microsoft.documentdb/databaseaccounts": ["privatelink.documents.azure.com"],
  "microsoft.search/searchservices": ["privatelink.search.windows.net"],
  "microsoft.storage/storageaccounts": ["privatelink.blob.core.windows.net"],
};

/** Every zone name a judged private endpoint or an agents' network can need: the zones the inventory looks for. */
export const DNS_ZONE_NAMES: readonly string[] = [
  ...new Set([...ML_ZONES, ...AI_SERVICES_ZONES, ...Object.values(AGENT_STORE_ZONES).flat()]),
];

/**
 * Whose private endpoints are judged: a workspace that is not a project (a project is reached through its
 * hub's private endpoint), and a Foundry or Azure OpenAI account.
 */
export function judgesDns(resource: ArmResource): boolean {
  if (sameId(resource.type, TYPES.workspace))
    return !(sameValue(resource.kind, "Project") && str(resource.properties?.hubResourceId));
  return isFoundryAccount(resource);
}

/** `P.required`: the zone names the private endpoint of `resource` needs, by its type and kind. */
export function requiredZoneNames(resource: ArmResource): string[] {
  if (sameId(resource.type, TYPES.workspace)) return [...ML_ZONES];
  if (sameValue(resource.kind, "OpenAI")) return [...OPENAI_ZONES];
  return [...AI_SERVICES_ZONES];
}

/** The private endpoints behind the resource's `Approved` connections. */
export function approvedPrivateEndpointIds(resource: ArmResource): string[] {
  const connections = resource.properties?.privateEndpointConnections;
  if (!Array.isArray(connections)) return [];
  return connections.flatMap((item: unknown) => {
    const properties = record(record(item)?.properties);
    const state = record(properties?.privateLinkServiceConnectionState);
    const id = str(record(properties?.privateEndpoint)?.id);
    return id && sameValue(state?.status, "Approved") ? [id] : [];
  });
}

/** The private endpoints behind all of the resource's connections, whatever their state. */
export function connectedPrivateEndpointIds(resource: ArmResource): string[] {
  const connections = resource.properties?.privateEndpointConnections;
  if (!Array.isArray(connections)) return [];
  return connections.flatMap((item: unknown) => {
    const id = str(record(record(record(item)?.properties)?.privateEndpoint)?.id);
    return id ? [id] : [];
  });
}

/** `properties.subnet.id` of a private endpoint. */
export function subnetOf(privateEndpoint: ArmResource): string | undefined {
  return str(record(privateEndpoint.properties?.subnet)?.id);
}

/** `V`: the virtual network of a subnet id (`…/virtualNetworks/{v}/subnets/{s}` → `…/virtualNetworks/{v}`). */
export function virtualNetworkOf(subnetId: string | undefined): string | undefined {
  const id = subnetId ? parentId(subnetId) : undefined;
  return id && /\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i.test(id) ? id : undefined;
}

/** The zone ids a private endpoint's zone groups name (`privateDnsZoneConfigs[].privateDnsZoneId`). */
export function zoneGroupZoneIds(zoneGroups: readonly ArmResource[]): string[] {
  return zoneGroups.flatMap((group) => {
    const configs = group.properties?.privateDnsZoneConfigs;
    return (Array.isArray(configs) ? configs : []).flatMap((config: unknown) => {
      const id = str(record(record(config)?.properties)?.privateDnsZoneId);
      return id ? [id] : [];
    });
  });
}

/** `V`'s custom DNS servers: empty means Azure-provided DNS. */
export function dnsServersOf(virtualNetwork: ArmResource): string[] {
  const servers = record(virtualNetwork.properties?.dhcpOptions)?.dnsServers;
  return Array.isArray(servers) ? servers.filter((s): s is string => typeof s === "string" && s !== "") : [];
}

/** The virtual network a zone's link points at. */
export function linkedNetworkOf(link: ArmResource): string | undefined {
  return str(record(link.properties?.virtualNetwork)?.id);
}

/** The networks these virtual network links point at, lower case. */
export function networksOfLinks(links: readonly ArmResource[]): ReadonlySet<string> {
  return new Set(
    links.flatMap((link) => {
      const network = linkedNetworkOf(link);
      return network ? [network.toLowerCase()] : [];
    }),
  );
}

/** Where a zone's links are listed (and the scope of that list's failure). */
export const linksPathOf = (zoneId: string) => `${zoneId}/virtualNetworkLinks`;
/** Where a private endpoint's zone groups are listed (and the scope of that list's failure). */
export const zoneGroupsPathOf = (privateEndpointId: string) => `${privateEndpointId}/privateDnsZoneGroups`;
/** The scope of a subscription's private DNS zones, for a list of them that failed. */
export const zonesScopeOf = (subscriptionId: string) =>
  `/subscriptions/${subscriptionId}/providers/${TYPES.privateDnsZone}`;
