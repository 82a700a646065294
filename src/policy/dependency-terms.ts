/**
 * A workspace's default resources — its storage account, key vault and container registry — as AMLNI009 reads
 * them: whether each admits the internet, and which sub-resources the storage account's approved private endpoints
 * serve. Paths, each at the api-version the inventory reads it (docs/sources/hub-private-link.md):
 * `properties.publicNetworkAccess` and `properties.networkAcls.defaultAction` (Storage 2023-05-01, Key Vault
 * 2026-02-01), `properties.networkRuleSet.defaultAction` (Container Registry 2023-07-01), a private endpoint's
 * `privateLinkServiceConnections[].properties.groupIds` (Network 2025-09-01).
 */
import { sameValue } from "../model/arm-ids.js";
import { record, str } from "../model/json-values.js";
import type { ArmResource, SnapshotView } from "../model/snapshot.js";
import { privateEndpointConnections, type DependencyRead } from "./terms.js";

export type DefaultResource = "storageAccount" | "keyVault" | "containerRegistry";

/** The default resource a workspace names, as read (or why it is not known). */
export function readDefaultResource(
  view: SnapshotView,
  workspace: ArmResource,
  name: DefaultResource,
): DependencyRead {
  const id = str(workspace.properties?.[name]);
  if (!id) return { state: "absent" };
  const resource = view.get(id);
  if (!resource || !view.propertiesKnown(id)) return { state: "unknown", id };
  return { state: "read", id, resource };
}

/** Whether the resource admits the internet, with the values that say so. */
export function defaultResourceExposure(
  resource: ArmResource,
  kind: DefaultResource,
): { internet: boolean; evidence: Record<string, unknown> } {
  const pna = str(resource.properties?.publicNetworkAccess);
  const rules = record(
    resource.properties?.[kind === "containerRegistry" ? "networkRuleSet" : "networkAcls"],
  );
  const defaultAction = str(rules?.defaultAction);
  const closed =
    sameValue(pna, "Disabled") ||
    (kind === "storageAccount" && sameValue(pna, "SecuredByPerimeter")) ||
    sameValue(defaultAction, "Deny");
  return {
    internet: !closed,
    evidence: { publicNetworkAccess: pna ?? null, defaultAction: defaultAction ?? null },
  };
}

/**
 * The sub-resources (`blob`, `file`, …) the storage account's approved private endpoints serve, read from each
 * private endpoint; `unknown` names one that could not be read, when what was read lacks blob or file.
 */
export function storageGroupsUnknown(
  view: SnapshotView,
  storage: ArmResource,
): { approved: Set<string>; unknown?: string } {
  const approved = new Set<string>();
  let unread: string | undefined;
  for (const connection of privateEndpointConnections(storage)) {
    if (!sameValue(connection.status, "Approved") || !connection.privateEndpointId) continue;
    const endpoint = view.get(connection.privateEndpointId);
    if (!endpoint || !view.propertiesKnown(endpoint.id)) {
      unread ??= connection.privateEndpointId;
      continue;
    }
    for (const key of ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"]) {
      const links = endpoint.properties?.[key];
      if (!Array.isArray(links)) continue;
      for (const link of links as { properties?: { groupIds?: unknown } }[]) {
        const groups = link.properties?.groupIds;
        if (Array.isArray(groups))
          for (const g of groups) if (typeof g === "string") approved.add(g.toLowerCase());
      }
    }
  }
  const whole = approved.has("blob") && approved.has("file");
  return whole || !unread ? { approved } : { approved, unknown: unread };
}
