import { TYPES } from "../../model/arm-ids.js";
import { phrase } from "../describe.js";
import {
  configurationOf,
  egressPublicNetworkAccess,
  isDisabled,
  isolationMode,
  hubEvidence,
  inheritance,
  judgeManagedDeployments,
  modeIs,
} from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNO003",
  slug: "deployment-egress-flag-ignored",
  title: "Deployment's egress flag has no effect under the workspace managed network",
  severity: "low",
  subject: "deployment",
  rationale:
    "Once the workspace has a managed network, egress_public_network_access no longer applies: a reader who trusts the flag misjudges the deployment's outbound, which the workspace's isolation mode now decides.",
  remediation:
    "Judge outbound by the workspace's isolation mode; when the deployment is next replaced, create it without the flag.",
  seeds: ["001"],
  *evaluate({ view }) {
    yield* judgeManagedDeployments(view, (item) => {
      const { workspace, endpoint, deployment } = item;
      if (modeIs(workspace, "Disabled") || !isDisabled(egressPublicNetworkAccess(deployment)))
        return undefined;
      const mode = isolationMode(workspace);
      return {
        kind: "violation",
        resourceId: deployment.id,
        resourceType: TYPES.onlineDeployment,
        evidence: {
          ...hubEvidence(item.isolation),
          egressPublicNetworkAccess: deployment.properties?.egressPublicNetworkAccess,
          workspaceIsolationMode: mode,
        },
        message: `${phrase(view, deployment.id)} sets egress public network access to Disabled, but the workspace managed network (${mode}) decides its outbound and the flag no longer applies.${inheritance(item.isolation)}`,
        remediation: `No change is needed to the traffic; when replacing the deployment, omit egress_public_network_access (az ml online-deployment create --file deployment.yml --endpoint-name ${endpoint.name} --workspace-name ${item.home.name} ...).`,
        configuration: configurationOf(workspace, endpoint, deployment),
      };
    });
  },
});
