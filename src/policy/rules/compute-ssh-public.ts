import { TYPES } from "../../model/arm-ids.js";
import { phrase } from "../describe.js";
import { computeArgs, judgeComputes, sshOpen } from "../compute-terms.js";
import { hubEvidence, inheritance } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLCO003",
  slug: "compute-ssh-public",
  title: "Compute's SSH port is open to the internet",
  severity: "high",
  subject: "compute",
  rationale:
    "A compute instance with sshSettings.sshPublicAccess Enabled, or a cluster whose remoteLoginPortPublicAccess is Enabled — or NotSpecified with no subnet, which opens it on every public node — takes SSH logins from the internet on its public IP address: a password or key is all that stands between the internet and the compute's identity and data.",
  remediation:
    "Recreate the compute with SSH public access disabled (az ml compute create … --ssh-public-access-enabled false), and reach it through the studio, a private endpoint or a bastion.",
  seeds: ["ml-compute-network"],
  *evaluate({ view }) {
    yield* judgeComputes(
      view,
      ({ workspace, compute, network, isolation }) => {
        if (!network.hasPublicIp || !sshOpen(network)) return undefined;
        const setting =
          network.computeType === "ComputeInstance"
            ? "sshSettings.sshPublicAccess"
            : "remoteLoginPortPublicAccess";
        return {
          kind: "violation",
          resourceId: compute.id,
          resourceType: TYPES.compute,
          evidence: {
            computeType: network.computeType,
            [setting]: network.sshSetting ?? null,
            enableNodePublicIp: network.enableNodePublicIp ?? null,
            subnet: network.subnetId ?? null,
            ...hubEvidence(isolation),
          },
          message: `${phrase(view, compute.id)} has its SSH port open on its public IP address (${setting} ${network.sshSetting ?? "not set"}${network.subnetId ? "" : ", no subnet"}).${inheritance(isolation)}`,
          remediation: `Recreate it with SSH closed to the internet: az ml compute delete ${computeArgs(workspace, compute)} --yes, then az ml compute create ${computeArgs(workspace, compute)} --type ${network.computeType} --ssh-public-access-enabled false --enable-node-public-ip false.`,
        };
      },
      "AMLCO003",
    );
  },
});
