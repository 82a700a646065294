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
} from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNO001",
  slug: "deployment-public-egress",
  title: "Managed deployment reaches its resources over public networks",
  severity: "high",
  subject: "deployment",
  posture: "secure-outbound",
  rationale:
    "Without a workspace managed network and with egress_public_network_access enabled, the deployment downloads its model, code and image and talks to its resources over public networks.",
  remediation:
    "Preferred: give the workspace a managed network in 'allow only approved outbound' mode. Legacy: recreate the deployment with egress_public_network_access disabled (the flag is immutable: blue/green).",
  seeds: ["000", "001"],
  *evaluate({ view }) {
    yield* judgeManagedDeployments(view, (item) => {
      const { workspace, endpoint, deployment } = item;
      const egress = egressPublicNetworkAccess(deployment);
      if (!modeIs(workspace, "Disabled") || isDisabled(egress)) return undefined;
      return {
        kind: "violation",
        resourceId: deployment.id,
        resourceType: TYPES.onlineDeployment,
        evidence: {
          ...hubEvidence(item.isolation),
          egressPublicNetworkAccess: deployment.properties?.egressPublicNetworkAccess ?? null,
          workspaceIsolationMode: "Disabled",
        },
        message: `${phrase(view, deployment.id)} reaches its model, image and workspace over public networks: the workspace has no managed network and the deployment's egress public network access is ${egress}.${inheritance(item.isolation)}`,
        remediation: `${workspaceUpdateCommand(view, workspace.id, "--managed-network allow_only_approved_outbound")}; or, legacy isolation: ${blueGreenSteps(view, deployment.id, "egress_public_network_access=disabled")}`,
        configuration: configurationOf(workspace, endpoint, deployment),
      };
    });
  },
});
