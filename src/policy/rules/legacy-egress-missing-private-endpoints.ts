import { TYPES } from "../../model/arm-ids.js";
import { blueGreenSteps, phrase } from "../describe.js";
import {
  approvedConnections,
  configurationOf,
  egressPublicNetworkAccess,
  isDisabled,
  hubEvidence,
  inheritance,
  judgeManagedDeployments,
  modeIs,
  readDependency,
} from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNO005",
  slug: "legacy-egress-missing-private-endpoints",
  title:
    "Legacy secure-outbound deployment lacks a private link to the workspace, its storage or its registry",
  severity: "medium",
  subject: "deployment",
  rationale:
    "Disabling egress_public_network_access alone is not enough: the deployment reaches the workspace, its default storage and its container registry only through private endpoints, so each needs an approved one or model, code and image downloads fail.",
  remediation:
    "Create private endpoints for the workspace (amlworkspace), its storage account (blob) and its container registry (registry), or move the workspace to a managed network.",
  seeds: ["001", "000"],
  *evaluate({ view }) {
    yield* judgeManagedDeployments(view, (item) => {
      const { workspace, endpoint, deployment } = item;
      if (!modeIs(workspace, "Disabled") || !isDisabled(egressPublicNetworkAccess(deployment)))
        return undefined;
      const storage = readDependency(view, workspace, "storageAccount");
      const registry = readDependency(view, workspace, "containerRegistry");
      const unknown = [storage, registry].find((d) => d.state === "unknown");
      if (unknown?.state === "unknown") {
        return {
          kind: "unknown",
          scope: unknown.id,
          subject: deployment.id,
          reason: `AMLNO005 needs its private endpoint connections`,
        };
      }
      const missing: string[] = [];
      const evidence: Record<string, number> = {
        workspaceApprovedPrivateEndpoints: approvedConnections(workspace),
      };
      if (approvedConnections(workspace) === 0) missing.push("the workspace");
      if (storage.state === "read") {
        evidence.storageApprovedPrivateEndpoints = approvedConnections(storage.resource);
        if (evidence.storageApprovedPrivateEndpoints === 0)
          missing.push(`storage account \`${storage.resource.name}\``);
      }
      if (registry.state === "read") {
        evidence.registryApprovedPrivateEndpoints = approvedConnections(registry.resource);
        if (evidence.registryApprovedPrivateEndpoints === 0)
          missing.push(`container registry \`${registry.resource.name}\``);
      }
      if (missing.length === 0) return undefined;
      return {
        kind: "violation",
        resourceId: deployment.id,
        resourceType: TYPES.onlineDeployment,
        evidence: {
          ...hubEvidence(item.isolation),
          egressPublicNetworkAccess: deployment.properties?.egressPublicNetworkAccess,
          ...evidence,
        },
        message: `${phrase(view, deployment.id)} has egress public network access disabled, but ${missing.join(", ")} ${missing.length === 1 ? "has" : "have"} no approved private endpoint, so its downloads cannot go privately.${inheritance(item.isolation)}`,
        remediation:
          `Create private endpoints for ${missing.join(", ")} (az network private-endpoint create --private-connection-resource-id <id> --group-id amlworkspace|blob|registry ...), ` +
          `or move the workspace to a managed network and then ${blueGreenSteps(view, deployment.id, "egress_public_network_access=enabled").replace(/^The flag[^:]*: /, "recreate the deployment without the flag: ")}`,
        configuration: configurationOf(workspace, endpoint, deployment),
      };
    });
  },
});
