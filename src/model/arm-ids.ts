/**
 * ARM resource ids and type names. ARM compares both case-insensitively, and Resource Graph
 * lower-cases types, so every comparison here goes through `sameId` / `canonicalType`.
 */

export const TYPES = {
  workspace: "Microsoft.MachineLearningServices/workspaces",
  onlineEndpoint: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
  onlineDeployment: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
  compute: "Microsoft.MachineLearningServices/workspaces/computes",
  privateEndpointConnection: "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections",
  storageAccount: "Microsoft.Storage/storageAccounts",
  containerRegistry: "Microsoft.ContainerRegistry/registries",
  keyVault: "Microsoft.KeyVault/vaults",
  privateEndpoint: "Microsoft.Network/privateEndpoints",
  privateDnsZoneGroup: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
  virtualNetwork: "Microsoft.Network/virtualNetworks",
  privateDnsZone: "Microsoft.Network/privateDnsZones",
  virtualNetworkLink: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
  subscription: "Microsoft.Resources/subscriptions",
  outboundRule: "Microsoft.MachineLearningServices/workspaces/outboundRules",
  foundryAccount: "Microsoft.CognitiveServices/accounts",
  foundryProject: "Microsoft.CognitiveServices/accounts/projects",
  foundryManagedNetwork: "Microsoft.CognitiveServices/accounts/managedNetworks",
  foundryOutboundRule: "Microsoft.CognitiveServices/accounts/managedNetworks/outboundRules",
  foundryPrivateEndpointConnection: "Microsoft.CognitiveServices/accounts/privateEndpointConnections",
  foundryCapabilityHost: "Microsoft.CognitiveServices/accounts/projects/capabilityHosts",
  foundryConnection: "Microsoft.CognitiveServices/accounts/projects/connections",
  foundryAccountConnection: "Microsoft.CognitiveServices/accounts/connections",
  cosmosAccount: "Microsoft.DocumentDB/databaseAccounts",
  searchService: "Microsoft.Search/searchServices",
} as const;

const canonicalByLower = new Map<string, string>(Object.values(TYPES).map((t) => [t.toLowerCase(), t]));

/** The canonical spelling of a type we know, or the type as given. */
export function canonicalType(type: string): string {
  return canonicalByLower.get(type.toLowerCase()) ?? type;
}

/**
 * Lower-casing keeps a string's length for every code point but U+0130 (`İ` becomes `i̇`, checked over all of
 * Unicode), so two ids of different lengths without it differ: most comparisons, of ids and of types, end there
 * without making two lower-case copies.
 */
const LENGTHENS_WHEN_LOWERED = "\u0130";

export function sameId(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a === b) return true;
  if (a.length !== b.length && !a.includes(LENGTHENS_WHEN_LOWERED) && !b.includes(LENGTHENS_WHEN_LOWERED))
    return false;
  return a.toLowerCase() === b.toLowerCase();
}

export function sameValue(a: unknown, b: string): boolean {
  return typeof a === "string" && a.toLowerCase() === b.toLowerCase();
}

export interface ParsedId {
  subscriptionId: string;
  resourceGroup?: string;
  /** Provider namespace plus each type segment, e.g. `Microsoft.MachineLearningServices/workspaces/onlineEndpoints`. */
  type?: string;
  /** Names from the outermost resource to this one. */
  names: string[];
}

/**
 * Parses `/subscriptions/{s}[/resourceGroups/{rg}][/providers/{ns}/{type}/{name}[/{type}/{name}]...]`.
 * Returns undefined for anything else, so callers can refuse malformed input with a message.
 */
export function parseResourceId(id: string): ParsedId | undefined {
  const parts = id.split("/");
  if (parts[0] !== "" || parts[1]?.toLowerCase() !== "subscriptions" || !parts[2]) return undefined;
  const parsed: ParsedId = { subscriptionId: parts[2], names: [] };
  let i = 3;
  if (parts[i]?.toLowerCase() === "resourcegroups") {
    if (!parts[i + 1]) return undefined;
    parsed.resourceGroup = parts[i + 1];
    i += 2;
  }
  if (i === parts.length) return parsed;
  if (parts[i]?.toLowerCase() !== "providers" || !parts[i + 1]) return undefined;
  const namespace = parts[i + 1] as string;
  const typeSegments: string[] = [];
  i += 2;
  while (i < parts.length) {
    const typeSegment = parts[i];
    const name = parts[i + 1];
    if (!typeSegment || !name) return undefined;
    typeSegments.push(typeSegment);
    parsed.names.push(name);
    i += 2;
  }
  if (typeSegments.length === 0) return undefined;
  parsed.type = `${namespace}/${typeSegments.join("/")}`;
  return parsed;
}

/**
 * What `parseResourceId` accepts, as one pattern (the subscription captured): the lookups made of every row and
 * resource (its subscription, its parent) test it instead of splitting the id.
 */
const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)(?:\/resourcegroups\/[^/]+)?(?:\/providers\/[^/]+(?:\/[^/]+\/[^/]+)+)?$/i;
/** The same, for an id with two names or more: a child resource. */
const CHILD_RESOURCE_ID =
  /^\/subscriptions\/[^/]+(?:\/resourcegroups\/[^/]+)?\/providers\/[^/]+\/[^/]+\/[^/]+(?:\/[^/]+\/[^/]+)+$/i;

/** The id of the resource this one is nested in (`.../workspaces/w/onlineEndpoints/e` → `.../workspaces/w`). */
export function parentId(id: string): string | undefined {
  if (!CHILD_RESOURCE_ID.test(id)) return undefined;
  return id.slice(0, id.lastIndexOf("/", id.lastIndexOf("/") - 1));
}

/**
 * Whether a path read from a response (a zone id in a zone group, a subnet's network, a connection's private
 * endpoint) is an ARM path the auditor may send a request to: `/subscriptions/{id}/…` of plain segments. Nothing
 * that could change the URL's host, query or fragment when appended to the ARM endpoint (`@`, `?`, `#`, `\`,
 * `%`, dot segments, control characters) passes.
 */
export function isArmPath(path: string): boolean {
  if (!/^\/subscriptions\/[0-9A-Za-z-]+(\/[^/]+)*$/.test(path)) return false;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[@?#\\%\s\u0000-\u001f\u007f]/.test(path)) return false;
  return !path.split("/").some((segment) => segment === "." || segment === "..");
}

export function subscriptionOf(id: string): string | undefined {
  return RESOURCE_ID.exec(id)?.[1];
}

/**
 * The subscription of any ARM path, a collection's (`.../privateEndpoints/pe/privateDnsZoneGroups`,
 * `/subscriptions/{s}/providers/Microsoft.Network/privateDnsZones`) as well as a resource's: what a request is
 * throttled by.
 */
export function subscriptionOfPath(path: string): string | undefined {
  return /^\/subscriptions\/([^/?]+)/i.exec(path)?.[1];
}

export function lastName(id: string): string {
  return id.split("/").filter(Boolean).at(-1) ?? id;
}

/**
 * `/subscriptions/{s}[/resourceGroups/{rg}]/providers/{namespace}/{type}`: every resource of that type (and
 * beneath one) in the subscription or resource group — the scope of a list ARM refused, or of reads a deny
 * assignment keeps (the Foundry accounts of a subscription whose ML resources were read).
 */
const TYPE_SCOPE = /^\/subscriptions\/([^/]+)(?:\/resourcegroups\/([^/]+))?\/providers\/([^/]+\/[^/]+)$/i;

/** True when `id` is `scope` or lies beneath it. */
export function isWithin(id: string, scope: string): boolean {
  const a = id.toLowerCase();
  const b = scope.toLowerCase().replace(/\/+$/, "");
  if (a === b || a.startsWith(`${b}/`)) return true;
  const typeScope = TYPE_SCOPE.exec(b);
  if (!typeScope) return false;
  const parsed = parseResourceId(a);
  const [, subscription, group, type] = typeScope;
  return (
    parsed !== undefined &&
    parsed.subscriptionId === subscription &&
    (group === undefined || parsed.resourceGroup === group) &&
    parsed.type !== undefined &&
    (parsed.type === type || parsed.type.startsWith(`${type ?? ""}/`))
  );
}

/** The scope of every resource of `type` in a subscription, or in one of its resource groups (see `isWithin`). */
export function typeScope(subscriptionId: string, type: string, resourceGroup?: string): string {
  return `/subscriptions/${subscriptionId}${resourceGroup ? `/resourceGroups/${resourceGroup}` : ""}/providers/${type}`;
}
