import { TYPES, lastName, parseResourceId } from "../../arm-ids.js";
import { phrase } from "../describe.js";
import { dependencyId, ownsIsolation, privateEndpointConnections } from "../terms.js";
import { defineRule } from "../types.js";

function groupKey(id: string): string | undefined {
  const parsed = parseResourceId(id);
  return parsed?.resourceGroup ? `${parsed.subscriptionId}/${parsed.resourceGroup}`.toLowerCase() : undefined;
}

export default defineRule({
  id: "AMLNO007",
  slug: "dependency-in-other-resource-group",
  title: "Private workspace's storage account or registry is in another resource group",
  severity: "low",
  subject: "workspace",
  rationale:
    "For network isolation of managed online endpoints, the workspace's container registry and storage account must be in the workspace's resource group.",
  remediation:
    "Use a storage account and container registry in the workspace's resource group (a workspace's dependencies cannot be moved: plan a new workspace).",
  seeds: ["003"],
  *evaluate({ view }) {
    for (const workspace of view.workspaces()) {
      if (!ownsIsolation(workspace)) continue; // a project: its hub carries these settings
      if (privateEndpointConnections(workspace).length === 0) continue;
      const home = groupKey(workspace.id);
      const elsewhere = (["storageAccount", "containerRegistry"] as const)
        .map((name) => ({ name, id: dependencyId(workspace, name) }))
        .filter((d): d is { name: "storageAccount" | "containerRegistry"; id: string } => d.id !== undefined)
        .filter((d) => groupKey(d.id) !== home);
      if (elsewhere.length === 0) continue;
      yield {
        kind: "violation",
        resourceId: workspace.id,
        resourceType: TYPES.workspace,
        evidence: {
          resourceGroup: parseResourceId(workspace.id)?.resourceGroup ?? null,
          ...Object.fromEntries(elsewhere.map((d): [string, string] => [d.name, d.id])),
        },
        message: `${phrase(view, workspace.id)} uses a private endpoint but its ${elsewhere
          .map(
            (d) =>
              `${d.name === "storageAccount" ? "storage account" : "container registry"} \`${lastName(d.id)}\` (resource group \`${parseResourceId(d.id)?.resourceGroup ?? "?"}\`)`,
          )
          .join(" and ")} ${elsewhere.length === 1 ? "is" : "are"} outside its resource group.`,
        remediation:
          "Create the workspace's storage account and container registry in its resource group; attached dependencies cannot be moved, so plan a new workspace (az ml workspace create --storage-account <id> --container-registry <id> ...).",
      };
    }
  },
});
