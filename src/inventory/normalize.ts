import { TYPES, canonicalType, lastName, sameId } from "../model/arm-ids.js";
import type { ArmResource } from "../model/snapshot.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const pick = (value: unknown, keys: readonly string[]): Record<string, unknown> | undefined => {
  if (!isRecord(value)) return undefined;
  const kept: Record<string, unknown> = {};
  for (const key of keys) if (key in value) kept[key] = value[key];
  return kept;
};
const each = (value: unknown, keep: (item: unknown) => unknown) =>
  Array.isArray(value) ? value.map(keep) : value;
const connectionsKept = (value: unknown) =>
  each(value, (c) => ({
    ...pick(c, ["name"]),
    properties: pick(isRecord(c) ? c.properties : undefined, ["privateLinkServiceId", "groupIds"]),
  }));

function connectionKept(p: Record<string, unknown>): Record<string, unknown> {
  const metadata = pick(p.metadata, ["ResourceId", "resourceId", "Location", "location"]);
  return {
    ...pick(p, ["category", "target", "authType", "peRequirement", "peStatus", "isSharedToAll"]),
    ...(metadata ? { metadata } : {}),
  };
}

/**
 * The properties the rules read of the network resources the DNS checks hold for the whole run (a hub network's
 * body lists every subnet and IP configuration, a private endpoint's its interfaces, a zone group's its record
 * sets — megabytes at tenant scale, none of it judged), and of computes.
 */
const KEPT_PROPERTIES: { type: string; keep: (p: Record<string, unknown>) => Record<string, unknown> }[] = [
  {
    type: TYPES.privateEndpoint,
    keep: (p) => ({
      ...pick(p, ["subnet"]),
      ...(p.subnet ? { subnet: pick(p.subnet, ["id"]) } : {}),
      ...("privateLinkServiceConnections" in p
        ? { privateLinkServiceConnections: connectionsKept(p.privateLinkServiceConnections) }
        : {}),
      ...("manualPrivateLinkServiceConnections" in p
        ? { manualPrivateLinkServiceConnections: connectionsKept(p.manualPrivateLinkServiceConnections) }
        : {}),
    }),
  },
  {
    type: TYPES.privateDnsZoneGroup,
    keep: (p) => ({
      privateDnsZoneConfigs: each(p.privateDnsZoneConfigs, (c) => ({
        ...pick(c, ["name"]),
        properties: pick(isRecord(c) ? c.properties : undefined, ["privateDnsZoneId"]),
      })),
    }),
  },
  { type: TYPES.virtualNetwork, keep: (p) => pick(p, ["dhcpOptions"]) ?? {} },
  // A connection may carry its credentials (an API key, a SAS token): only what names its store is kept.
  { type: TYPES.foundryConnection, keep: connectionKept },
  { type: TYPES.foundryAccountConnection, keep: connectionKept },
  {
    // A compute's body carries its administrator's credentials (`userAccountCredentials`) and setup scripts:
    // only its network settings are kept, so neither reaches a finding, the archive or a log.
    type: TYPES.compute,
    keep: (p) => {
      const inner = isRecord(p.properties) ? p.properties : undefined;
      const kept = pick(inner, [
        "subnet",
        "enableNodePublicIp",
        "remoteLoginPortPublicAccess",
        "vmSize",
        "state",
      ]);
      if (kept && isRecord(inner?.sshSettings))
        kept.sshSettings = pick(inner.sshSettings, ["sshPublicAccess"]);
      if (kept && isRecord(inner?.connectivityEndpoints))
        kept.connectivityEndpoints = pick(inner.connectivityEndpoints, ["publicIpAddress"]);
      return {
        ...pick(p, ["computeType", "provisioningState", "isAttachedCompute", "resourceId"]),
        ...(kept ? { properties: kept } : {}),
      };
    },
  },
  {
    type: TYPES.virtualNetworkLink,
    keep: (p) => pick(p, ["virtualNetwork", "registrationEnabled", "virtualNetworkLinkState"]) ?? {},
  },
];

/**
 * ARM JSON (a list item, a GET body or a Resource Graph row) reduced to the fields the snapshot keeps,
 * with the type in ARM's casing (Resource Graph lower-cases it), so both sources give the same snapshot.
 */
export function normalizeResource(raw: unknown): ArmResource | undefined {
  if (!isRecord(raw) || typeof raw.id !== "string" || typeof raw.type !== "string") return undefined;
  const resource: ArmResource = {
    id: raw.id,
    name: typeof raw.name === "string" ? raw.name : lastName(raw.id),
    type: canonicalType(raw.type),
  };
  if (typeof raw.location === "string" && raw.location) resource.location = raw.location;
  if (typeof raw.kind === "string" && raw.kind) resource.kind = raw.kind;
  if (isRecord(raw.tags) && Object.keys(raw.tags).length > 0)
    resource.tags = raw.tags as Record<string, string>;
  if (isRecord(raw.sku)) resource.sku = raw.sku;
  if (isRecord(raw.properties)) {
    const network = KEPT_PROPERTIES.find((n) => sameId(n.type, resource.type));
    resource.properties = network ? network.keep(raw.properties) : raw.properties;
  }
  return resource;
}
