import { TYPES, sameValue } from "../../model/arm-ids.js";
import { phrase } from "../describe.js";
import { ownsIsolation, privateEndpointConnections, readDependency } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNO006",
  slug: "registry-not-premium",
  title: "Private workspace's container registry is not Premium",
  severity: "medium",
  subject: "workspace",
  rationale:
    "When the workspace is configured with a private endpoint, its Azure Container Registry must be Premium: only Premium supports private endpoints, so images cannot be pulled privately otherwise.",
  remediation: "Upgrade the registry to the Premium tier.",
  seeds: ["003"],
  *evaluate({ view }) {
    for (const workspace of view.workspaces()) {
      if (!ownsIsolation(workspace)) continue; // a project: its hub carries these settings
      if (privateEndpointConnections(workspace).length === 0) continue;
      const registry = readDependency(view, workspace, "containerRegistry");
      if (registry.state === "absent") continue;
      if (registry.state === "unknown") {
        yield {
          kind: "unknown",
          scope: registry.id,
          subject: workspace.id,
          reason: "AMLNO006 needs the registry's SKU",
        };
        continue;
      }
      const sku = registry.resource.sku?.name;
      if (sameValue(sku, "Premium")) continue;
      yield {
        kind: "violation",
        resourceId: workspace.id,
        resourceType: TYPES.workspace,
        evidence: { containerRegistry: registry.id, registrySku: sku ?? null },
        message: `${phrase(view, workspace.id)} uses a private endpoint but its container registry \`${registry.resource.name}\` is ${sku ?? "of unknown SKU"}, not Premium.`,
        remediation: `az acr update --name ${registry.resource.name} --sku Premium --subscription ${registry.id.split("/")[2] ?? ""}`,
      };
    }
  },
});
