/**
 * The resource types the emulator serves, registered in one place: how a GET of one and a list of them are
 * counted, and the collections ARM serves from a parent's own properties rather than as resources of their
 * own. A type not registered here is still served from the tenant file (as `get other` / `list other`).
 */
import { TYPES, sameId } from "../arm-ids.js";
import type { ArmResource } from "../snapshot.js";
import type { RequestKind } from "./types.js";

export interface ResourceTypeRegistration {
  /** The ARM type, as in the tenant file. */
  type: string;
  /** The request kind of a GET of one resource of this type. */
  get?: RequestKind;
  /** The request kind of a list of them (a path ending in the type's last segment). */
  list?: RequestKind;
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

export const RESOURCE_TYPES: readonly ResourceTypeRegistration[] = [
  { type: TYPES.workspace, get: "get workspace", list: "list workspaces" },
  { type: TYPES.onlineEndpoint, list: "list onlineEndpoints" },
  { type: TYPES.onlineDeployment, list: "list deployments" },
  { type: TYPES.storageAccount, get: "get storageAccount" },
  { type: TYPES.containerRegistry, get: "get registry" },
  { type: TYPES.privateEndpoint, get: "get privateEndpoint" },
];

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
    items: (parent) => {
      const network = parent.properties?.managedNetwork as
        { outboundRules?: Record<string, unknown> } | undefined;
      return Object.entries(network?.outboundRules ?? {}).map(([name, properties]) => ({
        id: `${parent.id}/outboundRules/${name}`,
        name,
        type: TYPES.outboundRule,
        properties,
      }));
    },
  },
];

const lastSegment = (type: string) => type.split("/").at(-1) ?? type;

export function getKindOf(type: string | undefined): RequestKind {
  return RESOURCE_TYPES.find((r) => sameId(r.type, type))?.get ?? "get other";
}

export function listKindOf(segment: string | undefined): RequestKind {
  return (
    RESOURCE_TYPES.find((r) => r.list && sameId(lastSegment(r.type), segment))?.list ??
    EMBEDDED_COLLECTIONS.find((c) => sameId(c.segment, segment))?.kind ??
    "list other"
  );
}

export function embeddedCollection(parent: ArmResource, segment: string): EmbeddedCollection | undefined {
  return EMBEDDED_COLLECTIONS.find(
    (c) => sameId(c.segment, segment) && (c.parentType === undefined || sameId(c.parentType, parent.type)),
  );
}
