/**
 * The stores a Foundry resource's agents write to (src/inventory/agent-stores.ts reads them): each project's
 * capability hosts name connections (`threadStorageConnections`, `vectorStoreConnections`, `storageConnections`),
 * each connection names its store by ARM id (`metadata.ResourceId`), and each store is a Cosmos DB account
 * (`Microsoft.DocumentDB` 2025-10-15: `publicNetworkAccess`, `ipRules`, `isVirtualNetworkFilterEnabled`), an AI
 * Search service (`Microsoft.Search` 2025-05-01: `publicNetworkAccess`, `networkRuleSet.ipRules`) or a storage
 * account (as for AMLNI009); each has `privateEndpointConnections`.
 */
import { TYPES, lastName, sameId, sameValue } from "../model/arm-ids.js";
import { record, str } from "../model/json-values.js";
import type { ArmResource, SnapshotView } from "../model/snapshot.js";
import { defaultResourceExposure } from "./dependency-terms.js";
import { approvedConnections } from "./terms.js";
import type { Unknown } from "./types.js";

/** What a store holds for the agents, by the capability host property that names it. */
const HOLDS = {
  threadStorageConnections: "threads",
  vectorStoreConnections: "vectors",
  storageConnections: "files",
} as const;

export interface AgentStore {
  id: string;
  /** threads, vectors, files — what the agents keep there. */
  holds: string[];
  /** The connections that name it (`project/connection`). */
  connections: string[];
  resource: ArmResource;
}

export type AgentStores =
  { state: "known"; stores: AgentStore[] } | { state: "unknown"; unknowns: Unknown[] };

/** Every store the account's agents write to, read; or what could not be read (never a partial pass). */
export function agentStoresOf(view: SnapshotView, account: ArmResource, ruleId: string): AgentStores {
  if (!view.propertyKnown(account.id, "agentStores") || view.listingFailure(account.id))
    return {
      state: "unknown",
      unknowns: [
        { kind: "unknown", scope: account.id, reason: `${ruleId} needs the stores its agents write to` },
      ],
    };
  const byId = new Map<string, Omit<AgentStore, "resource">>();
  for (const project of view.childrenOf(account.id, TYPES.foundryProject)) {
    for (const host of view.childrenOf(project.id, TYPES.foundryCapabilityHost)) {
      for (const [property, holds] of Object.entries(HOLDS)) {
        const names = host.properties?.[property];
        if (!Array.isArray(names)) continue;
        for (const name of names) {
          if (typeof name !== "string") continue;
          const connection =
            view.childrenOf(project.id, TYPES.foundryConnection).find((c) => sameId(lastName(c.id), name)) ??
            view
              .childrenOf(account.id, TYPES.foundryAccountConnection)
              .find((c) => sameId(lastName(c.id), name));
          const metadata = record(connection?.properties?.metadata);
          const id = str(metadata?.ResourceId) ?? str(metadata?.resourceId);
          // The inventory records a connection it could not resolve as the account's failure (above).
          if (!id) continue;
          const entry = byId.get(id.toLowerCase()) ?? { id, holds: [], connections: [] };
          if (!entry.holds.includes(holds)) entry.holds.push(holds);
          const label = `${lastName(project.id)}/${name}`;
          if (!entry.connections.includes(label)) entry.connections.push(label);
          byId.set(id.toLowerCase(), entry);
        }
      }
    }
  }
  const stores: AgentStore[] = [];
  const unknowns: Unknown[] = [];
  for (const entry of byId.values()) {
    const resource = view.get(entry.id);
    if (!resource || !view.propertiesKnown(entry.id))
      unknowns.push({
        kind: "unknown",
        scope: entry.id,
        subject: account.id,
        reason: `${ruleId} needs the network settings of a store the agents write ${entry.holds.join(" and ")} to`,
      });
    else stores.push({ ...entry, resource });
  }
  return unknowns.length > 0 ? { state: "unknown", unknowns } : { state: "known", stores };
}

/** Whether a store admits the internet, with the values that say so. */
export function storeExposure(store: ArmResource): { internet: boolean; evidence: Record<string, unknown> } {
  const p = store.properties ?? {};
  const pna = str(p.publicNetworkAccess);
  const closed = sameValue(pna, "Disabled") || sameValue(pna, "SecuredByPerimeter");
  if (sameId(store.type, TYPES.storageAccount)) return defaultResourceExposure(store, "storageAccount");
  if (sameId(store.type, TYPES.cosmosAccount)) {
    const ipRules = Array.isArray(p.ipRules) ? p.ipRules.length : 0;
    const vnetFilter = p.isVirtualNetworkFilterEnabled === true;
    return {
      internet: !closed && ipRules === 0 && !vnetFilter,
      evidence: { publicNetworkAccess: pna ?? null, ipRules, isVirtualNetworkFilterEnabled: vnetFilter },
    };
  }
  const ipRules = Array.isArray(record(p.networkRuleSet)?.ipRules)
    ? (record(p.networkRuleSet)?.ipRules as unknown[]).length
    : 0;
  return { internet: !closed && ipRules === 0, evidence: { publicNetworkAccess: pna ?? null, ipRules } };
}

export function storeNoun(store: ArmResource): string {
  if (sameId(store.type, TYPES.cosmosAccount)) return "Cosmos DB account";
  if (sameId(store.type, TYPES.searchService)) return "AI Search service";
  return "storage account";
}

export function storeLabel(store: AgentStore): string {
  return `${storeNoun(store.resource)} \`${lastName(store.id)}\` (${store.holds.join(", ")})`;
}

export { approvedConnections };
