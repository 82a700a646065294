/** What the emulator's parts share: the options it takes, the requests it counts, and its errors. */
import { isWithin } from "../model/arm-ids.js";

export interface ThrottleOptions {
  /** Bucket size (ARM: 250 reads). */
  burst: number;
  /** Tokens added per second (ARM: 25). */
  refillPerSecond: number;
}

export type RequestKind =
  | "subscriptions"
  | "list workspaces"
  | "list onlineEndpoints"
  | "list deployments"
  | "list computes"
  | "list privateEndpointConnections"
  | "list outboundRules"
  | "list other"
  | "get workspace"
  | "get storageAccount"
  | "get registry"
  | "get keyVault"
  | "list keyVaults"
  | "get privateEndpoint"
  | "list privateEndpoints"
  | "get other"
  | "get permissions"
  | "list denyAssignments"
  | "list accounts"
  | "list projects"
  | "get account"
  | "get managedNetwork"
  | "list capabilityHosts"
  | "list connections"
  | "get databaseAccount"
  | "get searchService"
  | "list managedNetworkOutboundRules"
  | "list privateDnsZoneGroups"
  | "get virtualNetwork"
  | "get privateDnsZone"
  | "list privateDnsZones"
  | "list virtualNetworkLinks"
  | "resourceGraph";

export interface EmulatorStats {
  total: number;
  byKind: Partial<Record<RequestKind, number>>;
  /** 429s sent by the throttle or the Resource Graph quota. */
  throttled: number;
  /** Responses replaced by an injected fault. */
  faulted: number;
  unauthorized: number;
  /** Requests refused for an api-version the emulator has no schema of their type for. */
  refusedApiVersions: number;
  /** TLS connections clients opened: what a pool that is shared, or not, costs in handshakes. */
  connections: number;
}

export const emptyStats = (): EmulatorStats => ({
  total: 0,
  byKind: {},
  throttled: 0,
  faulted: 0,
  unauthorized: 0,
  refusedApiVersions: 0,
  connections: 0,
});

/** An answer ARM would give instead of a resource: its status, code, message and headers. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** `path` is `scope` or below it (a trailing slash on the path ignored). */
export function pathWithin(path: string, scope: string): boolean {
  return isWithin(path.replace(/\/+$/, ""), scope);
}

/** A subscription's own path, and nothing below it. */
export const SUBSCRIPTION_PATH = /^\/subscriptions\/[^/]+\/?$/i;
