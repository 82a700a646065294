import { TYPES, sameValue } from "../../model/arm-ids.js";
import { accountArgs, phrase } from "../describe.js";
import { judgeFoundryNetworks, managedNetworkId, projectNames, projectsSentence } from "../foundry-terms.js";
import { appliedRules, broadness } from "../outbound-rules.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNO003",
  slug: "foundry-broad-outbound-rule",
  title: "Foundry approved-outbound managed network has a user-defined rule that opens too much",
  severity: "medium",
  subject: "outbound rule",
  rationale:
    "'Allow only approved outbound' keeps agents from exfiltrating data only while its rules are narrow: a wildcard FQDN the documentation does not call for, the Internet or AzureCloud service tag, the tag of a service that stores data (it reaches that service in every tenant), address prefixes that cover the internet, or every port turns it back into broad outbound for every project. Rules are judged as the service applies them: address prefixes replace a rule's service tag, and a deny rule opens nothing.",
  remediation:
    "Replace the rule with FQDN rules naming the exact hosts, or a private endpoint rule to the one resource the agents need.",
  seeds: ["foundry-managed-network", "service-tags"],
  *evaluate({ view }) {
    yield* judgeFoundryNetworks(view, function* (account, network) {
      if (!sameValue(network.mode, "AllowOnlyApprovedOutbound")) return;
      for (const rule of appliedRules({ outboundRules: network.outboundRules })) {
        if (!sameValue(rule.category, "UserDefined")) continue;
        const why = broadness(rule, "foundry");
        if (!why) continue;
        const name = rule.name;
        const id = `${managedNetworkId(account)}/outboundRules/${name}`;
        const args = accountArgs(view, account.id);
        yield {
          kind: "violation",
          resourceId: id,
          resourceType: TYPES.foundryOutboundRule,
          evidence: {
            type: rule.type ?? null,
            category: rule.category,
            destination: rule.destination,
            projects: projectNames(view, account),
          },
          message: `${phrase(view, id)} allows broad outbound from the approved-only managed network: ${why}.${projectsSentence(view, account)}`,
          remediation: `az cognitiveservices account managed-network outbound-rule remove ${args} --rule ${name} --yes; then add narrow rules (az cognitiveservices account managed-network outbound-rule set ${args} --rule <name> --type fqdn --destination <exact-host>).`,
        };
      }
    });
  },
});
