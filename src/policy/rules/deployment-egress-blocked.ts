import { TYPES } from "../../model/arm-ids.js";
import { blueGreenSteps, phrase, workspaceUpdateCommand } from "../describe.js";
import {
  configurationOf,
  egressPublicNetworkAccess,
  isDisabled,
  hubEvidence,
  inheritance,
  judgeManagedDeployments,
  modeIs,
  publicNetworkAccess,
} from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNO004",
  slug: "deployment-egress-blocked",
  title: "Deployment with public outbound cannot reach its workspace, whose public access is disabled",
  severity: "high",
  subject: "deployment",
  rationale:
    "A deployment with public outbound calls the workspace API over public networks; when the workspace's public access is disabled, those calls fail and so does the deployment.",
  remediation:
    "Give the deployment secure outbound (workspace managed network, or a blue/green replacement with egress_public_network_access disabled), or allow the workspace's public access.",
  seeds: ["001", "002"],
  *evaluate({ view }) {
    yield* judgeManagedDeployments(view, (item) => {
      const { workspace, endpoint, deployment } = item;
      const egress = egressPublicNetworkAccess(deployment);
      if (!modeIs(workspace, "Disabled") || isDisabled(egress) || !isDisabled(publicNetworkAccess(workspace)))
        return undefined;
      return {
        kind: "violation",
        resourceId: deployment.id,
        resourceType: TYPES.onlineDeployment,
        evidence: {
          ...hubEvidence(item.isolation),
          egressPublicNetworkAccess: deployment.properties?.egressPublicNetworkAccess ?? null,
          workspacePublicNetworkAccess: workspace.properties?.publicNetworkAccess,
          workspaceIsolationMode: "Disabled",
        },
        message: `${phrase(view, deployment.id)} has public outbound but its workspace refuses public access, so its calls to the workspace API fail.${inheritance(item.isolation)}`,
        remediation: `${blueGreenSteps(view, deployment.id, "egress_public_network_access=disabled")} Or: ${workspaceUpdateCommand(view, workspace.id, "--managed-network allow_only_approved_outbound")}`,
        configuration: configurationOf(workspace, endpoint, deployment),
      };
    });
  },
});
