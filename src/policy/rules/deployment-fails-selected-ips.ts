import { TYPES } from "../../model/arm-ids.js";
import { phrase, workspaceUpdateCommand } from "../describe.js";
import {
  configurationOf,
  hubEvidence,
  inheritance,
  isDisabled,
  judgeManagedDeployments,
  modeIs,
  networkAcls,
  selectedIpsMode,
  publicNetworkAccess,
  selectedIpsUnknown,
} from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNO010",
  slug: "deployment-fails-selected-ips",
  title: "Managed deployment fails: its workspace admits selected IPs without a managed network",
  severity: "high",
  subject: "deployment",
  rationale:
    "Managed online endpoint deployments fail when the workspace is public from selected IP addresses and its managed virtual network is not enabled: the deployment cannot be created or updated.",
  remediation:
    "Enable the workspace's managed network (allow only approved outbound), or disable the workspace's public network access and use its private endpoint.",
  seeds: ["configure-private-link"],
  *evaluate({ view }) {
    yield* judgeManagedDeployments(view, (item) => {
      const { workspace, endpoint, deployment } = item;
      if (!modeIs(workspace, "Disabled") || isDisabled(publicNetworkAccess(workspace))) return undefined;
      const ranges = selectedIpsUnknown(view, workspace);
      if (ranges) return { ...ranges, subject: deployment.id };
      if (!selectedIpsMode(workspace)) return undefined;
      return {
        kind: "violation",
        resourceId: deployment.id,
        resourceType: TYPES.onlineDeployment,
        evidence: {
          workspacePublicNetworkAccess: workspace.properties?.publicNetworkAccess ?? null,
          workspaceDefaultAction: "Deny",
          ipRules: networkAcls(workspace).ipRules,
          workspaceIsolationMode: "Disabled",
          ...hubEvidence(item.isolation),
        },
        message: `${phrase(view, deployment.id)} cannot be deployed: its workspace admits selected IP ranges and has no managed network.${inheritance(item.isolation)}`,
        remediation: `${workspaceUpdateCommand(view, workspace.id, "--managed-network allow_only_approved_outbound")}; or ${workspaceUpdateCommand(view, workspace.id, "--public-network-access Disabled")}`,
        configuration: configurationOf(workspace, endpoint, deployment),
      };
    });
  },
});
