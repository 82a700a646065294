import { TYPES, sameValue } from "../../model/arm-ids.js";
import { phrase } from "../describe.js";
import { computeArgs, inManagedNetwork, judgeComputes } from "../compute-terms.js";
import { hubEvidence, inheritance, isolationMode, publicNetworkAccess } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLCO001",
  slug: "compute-public-ip",
  title: "Compute instance or cluster has a public IP address",
  severity: "medium",
  subject: "compute",
  rationale:
    "A compute instance or cluster gets a public IP address unless it is created with enableNodePublicIp set to false: it then takes inbound traffic from the internet (from the AzureMachineLearning service tag) and reaches the internet directly, around the private endpoints of its workspace. Without a public IP it has no inbound path from the internet at all.",
  remediation:
    "Recreate the compute with no public IP (az ml compute create … --enable-node-public-ip false): the setting cannot be changed on an existing compute.",
  seeds: ["ml-compute-network"],
  *evaluate({ view }) {
    yield* judgeComputes(
      view,
      ({ workspace, compute, network, isolation }) => {
        if (!network.hasPublicIp) return undefined;
        const owner = isolation.owner;
        // "Isolated" workspaces whose computes are reachable from the internet are the exposure this rule is for.
        const privateWorkspace = sameValue(publicNetworkAccess(owner), "Disabled");
        const kind = network.computeType === "ComputeInstance" ? "compute instance" : "compute cluster";
        return {
          kind: "violation",
          resourceId: compute.id,
          resourceType: TYPES.compute,
          severity: privateWorkspace ? "high" : "medium",
          evidence: {
            computeType: network.computeType,
            enableNodePublicIp: network.enableNodePublicIp ?? null,
            subnet: network.subnetId ?? null,
            workspacePublicNetworkAccess: publicNetworkAccess(owner),
            isolationMode: isolationMode(owner),
            ...hubEvidence(isolation),
          },
          message:
            `${phrase(view, compute.id)} is a ${kind} with a public IP address (enableNodePublicIp ${JSON.stringify(network.enableNodePublicIp) ?? "not set"})` +
            (privateWorkspace
              ? `, although its workspace admits no public traffic: the internet reaches the compute, around the workspace's private endpoints.`
              : `: it accepts inbound traffic from the internet and reaches it directly.`) +
            (inManagedNetwork(isolation) ? " It sits in the workspace's managed network." : "") +
            inheritance(isolation),
          remediation: `Recreate it without a public IP: az ml compute delete ${computeArgs(workspace, compute)} --yes, then az ml compute create ${computeArgs(workspace, compute)} --type ${network.computeType} --enable-node-public-ip false${inManagedNetwork(isolation) ? "" : " --subnet <subnet-id>"} (the setting cannot be changed on an existing compute).`,
        };
      },
      "AMLCO001",
    );
  },
});
