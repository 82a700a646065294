/**
 * The resource types the emulator serves, registered in one place: how a GET of one and a list of them are
 * counted, and the collections ARM serves from a parent's own properties rather than as resources of their
 * own. A type not registered here is still served from the tenant file (as `get other` / `list other`).
 */
import { TYPES, sameId } from "../model/arm-ids.js";
import type { ArmResource } from "../model/snapshot.js";
import type { RequestKind } from "./types.js";

export interface ResourceTypeRegistration {
  /** The ARM type, as in the tenant file. */
  type: string;
  /** The request kind of a GET of one resource of this type. */
  get?: RequestKind;
  /** The request kind of a list of them (a path ending in the type's last segment). */
  list?: RequestKind;
  /** False for proxy resources Resource Graph does not index (a Foundry managed network). */
  indexed?: boolean;
}

/** A list ARM answers from its parent's properties (the tenant file holds no resources for it). */
export interface EmbeddedCollection {
  /** The list path's last segment. */
  segment: string;
  kind: RequestKind;
  /** The parent type that serves it; any parent when undefined. */
  parentType?: string;
  /** ARM answers it in one page (no nextLink). */
  onePage: boolean;
  items(parent: ArmResource): unknown[];
}

/** Foundry (Microsoft.CognitiveServices): an account of kind AIServices or OpenAI, its projects, its managed network. */
export const FOUNDRY_TYPES = {
  account: "Microsoft.CognitiveServices/accounts",
  project: "Microsoft.CognitiveServices/accounts/projects",
  managedNetwork: "Microsoft.CognitiveServices/accounts/managedNetworks",
} as const;

export const RESOURCE_TYPES: readonly ResourceTypeRegistration[] = [
  { type: TYPES.workspace, get: "get workspace", list: "list workspaces" },
  { type: TYPES.onlineEndpoint, list: "list onlineEndpoints" },
  { type: TYPES.onlineDeployment, list: "list deployments" },
  { type: TYPES.compute, list: "list computes" },
  { type: TYPES.storageAccount, get: "get storageAccount" },
  { type: TYPES.containerRegistry, get: "get registry" },
  { type: TYPES.keyVault, get: "get keyVault", list: "list keyVaults" },
  { type: TYPES.privateEndpoint, get: "get privateEndpoint", list: "list privateEndpoints" },
  // Resource Graph indexes private endpoints, networks, zones and their links, not zone groups.
  { type: TYPES.privateDnsZoneGroup, list: "list privateDnsZoneGroups", indexed: false },
  { type: TYPES.virtualNetwork, get: "get virtualNetwork" },
  { type: TYPES.privateDnsZone, get: "get privateDnsZone", list: "list privateDnsZones" },
  { type: TYPES.virtualNetworkLink, list: "list virtualNetworkLinks" },
  { type: FOUNDRY_TYPES.account, get: "get account", list: "list accounts" },
  { type: FOUNDRY_TYPES.project, list: "list projects" },
  { type: FOUNDRY_TYPES.managedNetwork, get: "get managedNetwork", indexed: false },
  // A project's capability hosts and connections are proxy resources, read from ARM in both sources.
  { type: TYPES.foundryCapabilityHost, list: "list capabilityHosts", indexed: false },
  { type: TYPES.foundryConnection, list: "list connections", indexed: false },
  { type: TYPES.foundryAccountConnection, list: "list connections", indexed: false },
  { type: TYPES.cosmosAccount, get: "get databaseAccount" },
  { type: TYPES.searchService, get: "get searchService" },
];

/** Whether Resource Graph has rows of this type. */
export function indexedByResourceGraph(type: string): boolean {
  return RESOURCE_TYPES.find((r) => sameId(r.type, type))?.indexed ?? true;
}

/**
 * A managed network's outbound rules, an object keyed by rule name under `properties.managedNetwork` (an ML
 * workspace's, and a Foundry account's `managedNetworks/default`), as the resources their list returns.
 */
function outboundRulesOf(parent: ArmResource, type: string): unknown[] {
  const network = parent.properties?.managedNetwork as
    { outboundRules?: Record<string, unknown> } | undefined;
  return Object.entries(network?.outboundRules ?? {}).map(([name, properties]) => ({
    id: `${parent.id}/outboundRules/${name}`,
    name,
    type,
    properties,
  }));
}

export const EMBEDDED_COLLECTIONS: readonly EmbeddedCollection[] = [
  {
    // Full objects inside the workspace (or any resource with private link); one page.
    segment: "privateEndpointConnections",
    kind: "list privateEndpointConnections",
    onePage: true,
    items: (parent) => {
      const connections = parent.properties?.privateEndpointConnections;
      return Array.isArray(connections) ? (connections as unknown[]) : [];
    },
  },
  {
    // An object keyed by rule name inside `managedNetwork`, served as resources of their own.
    segment: "outboundRules",
    kind: "list outboundRules",
    parentType: TYPES.workspace,
    onePage: false,
    items: (parent) => outboundRulesOf(parent, TYPES.outboundRule),
  },
  {
    // `managedNetworks/default` holds its rules under `properties.managedNetwork` (api-version 2026-05-01,
    // ManagedNetworkSettings_Get); the list serves them as resources of type `accounts/outboundRules`.
    segment: "outboundRules",
    kind: "list managedNetworkOutboundRules",
    parentType: FOUNDRY_TYPES.managedNetwork,
    onePage: false,
    items: (parent) => outboundRulesOf(parent, "accounts/outboundRules"),
  },
];

const lastSegment = (type: string) => type.split("/").at(-1) ?? type;

export function getKindOf(type: string | undefined): RequestKind {
  return RESOURCE_TYPES.find((r) => sameId(r.type, type))?.get ?? "get other";
}

/** The kind of a list by its last segment, and the type of the parent it is under when it has one. */
export function listKindOf(segment: string | undefined, parentType?: string): RequestKind {
  return (
    RESOURCE_TYPES.find((r) => r.list && sameId(lastSegment(r.type), segment))?.list ??
    EMBEDDED_COLLECTIONS.find(
      (c) =>
        sameId(c.segment, segment) &&
        (c.parentType === undefined || sameId(c.parentType, parentType ?? c.parentType)),
    )?.kind ??
    "list other"
  );
}

export function embeddedCollection(parent: ArmResource, segment: string): EmbeddedCollection | undefined {
  return EMBEDDED_COLLECTIONS.find(
    (c) => sameId(c.segment, segment) && (c.parentType === undefined || sameId(c.parentType, parent.type)),
  );
}
