import { TYPES } from "../../model/arm-ids.js";
import { phrase } from "../describe.js";
import { computeArgs, inManagedNetwork, judgeComputes } from "../compute-terms.js";
import { hubEvidence, inheritance, isolationMode } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLCO002",
  slug: "compute-outside-virtual-network",
  title: "Compute has no virtual network and its workspace has no managed network",
  severity: "medium",
  subject: "compute",
  rationale:
    "A compute instance or cluster is isolated either by a subnet of your virtual network or by the workspace's managed network. With neither, it runs on a network Azure ML provides with no network controls of yours: its traffic to the workspace's storage, key vault and registry, and to the internet, passes no private endpoint, NSG or firewall. A compute inside a managed network has no subnet of its own and is not flagged (Azure Policy 7804b5c7 flags it).",
  remediation:
    "Enable a managed network on the workspace (az ml workspace update --managed-network allow_only_approved_outbound), or recreate the compute in a subnet of your virtual network.",
  seeds: ["ml-compute-network", "ml-managed-network"],
  *evaluate({ view }) {
    yield* judgeComputes(
      view,
      ({ workspace, compute, network, isolation }) => {
        if (network.subnetId !== undefined || inManagedNetwork(isolation)) return undefined;
        return {
          kind: "violation",
          resourceId: compute.id,
          resourceType: TYPES.compute,
          evidence: {
            computeType: network.computeType,
            subnet: null,
            isolationMode: isolationMode(isolation.owner),
            ...hubEvidence(isolation),
            note: "A compute in a workspace with a managed network has no subnet and is not flagged.",
          },
          message: `${phrase(view, compute.id)} is in no virtual network and its workspace has no managed network: nothing of yours controls its traffic.${inheritance(isolation)}`,
          remediation: `Enable a managed network on ${isolation.hub ? `hub \`${isolation.owner.name}\`` : `workspace \`${workspace.name}\``} (az ml workspace update --name ${isolation.owner.name} --resource-group ${/\/resourceGroups\/([^/]+)/i.exec(isolation.owner.id)?.[1] ?? "<resource-group>"} --managed-network allow_only_approved_outbound; its computes move into it when recreated), or recreate the compute in your virtual network: az ml compute create ${computeArgs(workspace, compute)} --type ${network.computeType} --subnet <subnet-id> --enable-node-public-ip false.`,
        };
      },
      "AMLCO002",
    );
  },
});
