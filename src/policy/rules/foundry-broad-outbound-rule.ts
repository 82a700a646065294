import { TYPES, sameValue } from "../../arm-ids.js";
import { accountArgs, phrase } from "../describe.js";
import {
  foundryAccounts,
  foundryNetwork,
  isFoundryResource,
  managedNetworkId,
  projectNames,
  projectsSentence,
} from "../foundry-terms.js";
import { broadness } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNO003",
  slug: "foundry-broad-outbound-rule",
  title: "Foundry approved-outbound managed network has a user-defined rule that opens too much",
  severity: "medium",
  subject: "outbound rule",
  rationale:
    "'Allow only approved outbound' keeps agents from exfiltrating data only while its rules are narrow: a wildcard FQDN, the Internet or AzureCloud service tag, or every port turns it back into broad internet outbound for every project.",
  remediation:
    "Replace the rule with FQDN or service tag rules that name the exact destinations and ports the agents need.",
  seeds: ["foundry-managed-network"],
  *evaluate({ view }) {
    for (const account of foundryAccounts(view)) {
      if (!isFoundryResource(account)) continue;
      const network = foundryNetwork(view, account);
      if (network.state === "unknown") {
        yield network.unknown;
        continue;
      }
      if (!sameValue(network.mode, "AllowOnlyApprovedOutbound")) continue;
      for (const [name, rule] of Object.entries(network.outboundRules)) {
        if (!sameValue(rule.category, "UserDefined")) continue;
        const why = broadness(rule);
        if (!why) continue;
        const id = `${managedNetworkId(account)}/outboundRules/${name}`;
        const args = accountArgs(view, account.id);
        yield {
          kind: "violation",
          resourceId: id,
          resourceType: TYPES.foundryOutboundRule,
          evidence: {
            type: rule.type ?? null,
            category: rule.category,
            destination: rule.destination ?? null,
            projects: projectNames(view, account),
          },
          message: `${phrase(view, id)} allows broad outbound from the approved-only managed network: ${why}.${projectsSentence(view, account)}`,
          remediation: `az cognitiveservices account managed-network outbound-rule remove ${args} --rule ${name} --yes; then add narrow rules (az cognitiveservices account managed-network outbound-rule set ${args} --rule <name> --type fqdn --destination <exact-host>).`,
        };
      }
    }
  },
});
