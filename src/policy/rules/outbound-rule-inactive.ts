import { TYPES, sameValue } from "../../model/arm-ids.js";
import { locate, phrase } from "../describe.js";
import { appliedRules, describeState, ruleState } from "../outbound-rules.js";
import { modeIs, judgeManagedNetworks } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNO011",
  slug: "outbound-rule-inactive",
  title: "Workspace managed network private endpoint rule is not active",
  severity: "medium",
  subject: "outbound rule",
  rationale:
    "A private endpoint outbound rule gives the managed network's computes and deployments a private path to a dependency (the workspace's storage, key vault and registry, or a data store) only once its private endpoint is approved and active. In a provisioned managed network, a rule that is inactive, failed or without a status leaves its destination unreachable privately: jobs and deployments fail, or reach it another way. A network not provisioned yet (its status Inactive) has no private endpoints by design, and a rule still being provisioned or deleted is not judged.",
  remediation:
    "Approve the pending connection on the destination, or fix what the rule's error names and set the rule again; then provision the managed network.",
  seeds: ["ml-managed-network"],
  *evaluate({ view }) {
    yield* judgeManagedNetworks(view, function* (workspace) {
      if (modeIs(workspace, "Disabled")) return;
      const network = workspace.properties?.managedNetwork as { status?: { status?: unknown } } | undefined;
      // Its private endpoints are made when the network is provisioned (the first compute, or by hand).
      if (sameValue(network?.status?.status, "Inactive")) return;
      for (const rule of appliedRules(network)) {
        if (!sameValue(rule.type, "PrivateEndpoint")) continue;
        const state = ruleState(rule);
        if (state === "active" || state === "transient") continue;
        const id = `${workspace.id}/outboundRules/${rule.name}`;
        const where = locate(view, workspace.id);
        const args = `--workspace-name ${where.workspace ?? workspace.name} --resource-group ${where.resourceGroup} --subscription ${where.subscriptionId}`;
        const destination = rule.serviceResourceId;
        yield {
          kind: "violation",
          resourceId: id,
          resourceType: TYPES.outboundRule,
          evidence: {
            type: rule.type ?? null,
            category: rule.category ?? null,
            status: rule.status ?? null,
            ...(rule.errorInformation ? { errorInformation: rule.errorInformation } : {}),
            destination: rule.destination,
          },
          message: `${phrase(view, id)} ${describeState(rule)}: the managed network's computes and deployments cannot reach ${destination ? `\`${destination}\`` : "its destination"} privately.`,
          remediation: `Approve the pending connection on ${destination ?? "the destination resource"} (az network private-endpoint-connection list --id ${destination ?? "<destination-id>"}, then az network private-endpoint-connection approve --id <connection-id>), or set the rule again (az ml workspace outbound-rule set --rule ${rule.name} --type private_endpoint --service-resource-id ${destination ?? "<destination-id>"} --subresource-target <target> ${args}); then az ml workspace provision-network ${args.replace("--workspace-name", "--name")}.`,
        };
      }
    });
  },
});
