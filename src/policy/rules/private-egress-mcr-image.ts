import { TYPES } from "../../model/arm-ids.js";
import { blueGreenSteps, phrase } from "../describe.js";
import {
  configurationOf,
  egressPublicNetworkAccess,
  environmentId,
  isDisabled,
  hubEvidence,
  inheritance,
  judgeManagedDeployments,
  modeIs,
} from "../terms.js";
import { defineRule } from "../types.js";

const CURATED_PREFIX = "azureml://registries/azureml/";

export default defineRule({
  id: "AMLNO008",
  slug: "private-egress-mcr-image",
  title: "Legacy secure-outbound deployment uses an image from the Microsoft Container Registry",
  severity: "medium",
  subject: "deployment",
  rationale:
    "With egress_public_network_access disabled, a deployment cannot reach the Microsoft Container Registry, so curated environments and MLflow no-code images fail to pull; the image must come from the workspace's own registry.",
  remediation:
    "Push the image into the container registry attached to the workspace and redeploy with an environment that references it (blue/green).",
  seeds: ["000", "004"],
  *evaluate({ view }) {
    yield* judgeManagedDeployments(view, (item) => {
      const { workspace, endpoint, deployment } = item;
      if (!modeIs(workspace, "Disabled") || !isDisabled(egressPublicNetworkAccess(deployment)))
        return undefined;
      const environment = environmentId(deployment);
      if (environment && !environment.toLowerCase().startsWith(CURATED_PREFIX)) return undefined;
      return {
        kind: "violation",
        resourceId: deployment.id,
        resourceType: TYPES.onlineDeployment,
        evidence: {
          ...hubEvidence(item.isolation),
          environmentId: environment ?? null,
          egressPublicNetworkAccess: deployment.properties?.egressPublicNetworkAccess,
        },
        message: `${phrase(view, deployment.id)} cannot reach the Microsoft Container Registry (egress disabled) yet its image comes from there (${environment ? `curated environment \`${environment}\`` : "no environment: MLflow no-code"}).${inheritance(item.isolation)}`,
        remediation: `az acr import --name <workspace-registry> --source mcr.microsoft.com/<image>:<tag> --image <image>:<tag>; register an environment with that image; then ${blueGreenSteps(view, deployment.id, "environment=<environment-from-workspace-registry> egress_public_network_access=disabled").replace(/^The flag[^:]*: /, "")}`,
        configuration: configurationOf(workspace, endpoint, deployment),
      };
    });
  },
});
