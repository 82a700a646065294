import { TYPES, sameValue } from "../../model/arm-ids.js";
import { accountArgs, phrase } from "../describe.js";
import { judgeFoundryNetworks, managedNetworkId, projectNames, projectsSentence } from "../foundry-terms.js";
import { appliedRules, describeState, ruleState } from "../outbound-rules.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNO004",
  slug: "foundry-outbound-rule-inactive",
  title: "Foundry managed network private endpoint rule is not active",
  severity: "medium",
  subject: "outbound rule",
  rationale:
    "A private endpoint outbound rule gives the agents a private path to a dependency (Storage, Cosmos DB, AI Search) only once its managed private endpoint is approved and active: one that is inactive, failed or without a status leaves what it points at unreachable from the managed network (a rule still being provisioned or deleted is not judged).",
  remediation:
    "Approve the managed private endpoint on the destination (the account's identity needs Azure AI Enterprise Network Connection Approver there), or recreate the rule.",
  seeds: ["foundry-managed-network"],
  *evaluate({ view }) {
    yield* judgeFoundryNetworks(view, function* (account, network) {
      for (const rule of appliedRules({ outboundRules: network.outboundRules })) {
        if (!sameValue(rule.type, "PrivateEndpoint")) continue;
        const state = ruleState(rule);
        if (state === "active" || state === "transient") continue;
        const name = rule.name;
        const id = `${managedNetworkId(account)}/outboundRules/${name}`;
        const destination = rule.serviceResourceId;
        const args = accountArgs(view, account.id);
        yield {
          kind: "violation",
          resourceId: id,
          resourceType: TYPES.foundryOutboundRule,
          evidence: {
            type: rule.type,
            category: rule.category ?? null,
            status: rule.status ?? null,
            ...(rule.errorInformation ? { errorInformation: rule.errorInformation } : {}),
            destination: rule.destination,
            projects: projectNames(view, account),
          },
          message: `${phrase(view, id)} ${describeState(rule)}: the agents cannot reach ${destination ? `\`${destination}\`` : "its destination"} through the managed network.${projectsSentence(view, account)}`,
          remediation: `Approve the pending connection on ${destination ?? "the destination resource"} (az network private-endpoint-connection list --id ${destination ?? "<destination-id>"}, then az network private-endpoint-connection approve --id <connection-id>), or recreate the rule (az cognitiveservices account managed-network outbound-rule set ${args} --rule ${name} --type privateendpoint --destination ${destination ?? "<destination-id>"} --subresource-target <group>), then az cognitiveservices account managed-network provision-network ${args}.`,
        };
      }
    });
  },
});
