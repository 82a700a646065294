import { TYPES } from "../../model/arm-ids.js";
import { phrase, workspaceUpdateCommand } from "../describe.js";
import { isolationMode, modeIs, judgeManagedNetworks } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNO002",
  slug: "workspace-internet-outbound",
  title: "Workspace managed network allows all internet outbound",
  severity: "medium",
  subject: "workspace",
  posture: "secure-outbound",
  rationale:
    "In 'allow internet outbound' mode, deployments and compute in the managed network can send data to any internet destination; only 'allow only approved outbound' protects against exfiltration.",
  remediation:
    "Switch the managed network to 'allow only approved outbound' and add outbound rules for the destinations the workloads need.",
  seeds: ["001"],
  *evaluate({ view }) {
    yield* judgeManagedNetworks(view, function* (workspace) {
      if (!modeIs(workspace, "AllowInternetOutbound")) return;
      yield {
        kind: "violation",
        resourceId: workspace.id,
        resourceType: TYPES.workspace,
        evidence: { isolationMode: isolationMode(workspace) },
        message: `${phrase(view, workspace.id)} lets its managed network send traffic to any internet destination (isolation mode AllowInternetOutbound).`,
        remediation: workspaceUpdateCommand(
          view,
          workspace.id,
          "--managed-network allow_only_approved_outbound",
        ),
      };
    });
  },
});
