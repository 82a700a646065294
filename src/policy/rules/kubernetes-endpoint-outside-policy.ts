import { TYPES } from "../../model/arm-ids.js";
import { phrase } from "../describe.js";
import { judgeEndpoints } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNI006",
  slug: "kubernetes-endpoint-outside-policy",
  title: "Kubernetes online endpoint: its exposure is set by the AKS load balancer",
  severity: "informational",
  subject: "endpoint",
  rationale:
    "A Kubernetes online endpoint is exposed by the Azure Kubernetes Service cluster's load balancer (internal or public), not by the managed endpoint's network flags, so those flags say nothing about it.",
  remediation:
    "Check the cluster's inference router: use the internal load balancer for a VNet-only endpoint, and control extra traffic with a network security group or firewall.",
  seeds: ["004"],
  *evaluate({ view }) {
    yield* judgeEndpoints(view, function* ({ workspace, endpoint, kubernetes }) {
      if (!kubernetes) return;
      const compute = endpoint.properties?.compute ?? null;
      yield {
        kind: "violation",
        resourceId: endpoint.id,
        resourceType: TYPES.onlineEndpoint,
        evidence: { compute, publicNetworkAccess: endpoint.properties?.publicNetworkAccess ?? null },
        message: `${phrase(view, endpoint.id)} runs on Kubernetes${typeof compute === "string" ? ` (\`${compute.split("/").at(-1)}\`)` : ""}: its exposure depends on the AKS load balancer, which this audit does not check.`,
        remediation: `az ml compute show --name <kubernetes-compute> --workspace-name ${workspace.name} --resource-group ${workspace.id.split("/")[4] ?? ""}; then review the inference router's load balancer type (internal for VNet-only access).`,
      };
    });
  },
});
