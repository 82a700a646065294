import { TYPES } from "../../model/arm-ids.js";
import { accountArgs, phrase } from "../describe.js";
import {
  agentInjection,
  judgeFoundryNetworks,
  managedNetworkId,
  projectNames,
  projectsSentence,
} from "../foundry-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNO006",
  slug: "foundry-managed-network-missing",
  title: "Foundry agents are set to use a managed network that was never created",
  severity: "medium",
  subject: "account",
  posture: "secure-outbound",
  rationale:
    "A Foundry resource whose agents use the Microsoft managed network is made in two steps: the account, with the agent network injection set to the managed network (it cannot be added later), then the managed network itself (managedNetworks/default), which sets the isolation mode and provisions the network. When the second step never happened, the isolation the injection asks for is not in place: there is no managed network, no approved-outbound mode and no outbound rule, and nothing can be judged but its absence.",
  remediation:
    "Create the managed network with the isolation mode the agents need (allow only approved outbound to restrict them), after giving the account's identity Azure AI Enterprise Network Connection Approver.",
  seeds: ["foundry-managed-network"],
  *evaluate({ view }) {
    yield* judgeFoundryNetworks(view, function* (account, network) {
      if (!network.missing) return;
      const args = accountArgs(view, account.id);
      yield {
        kind: "violation",
        resourceId: account.id,
        resourceType: TYPES.foundryAccount,
        evidence: {
          agentInjection: agentInjection(account) ?? null,
          managedNetwork: managedNetworkId(account),
          managedNetworkFound: false,
          projects: projectNames(view, account),
        },
        message: `${phrase(view, account.id)} sets its agents to use the Microsoft managed network, but it has none (${managedNetworkId(account).split("/").slice(-2).join("/")} does not exist): the outbound isolation it asks for was never set up.${projectsSentence(view, account)}`,
        remediation: `az cognitiveservices account managed-network create ${args} --managed-network allow_only_approved_outbound --firewall-sku Standard (Azure CLI 2.86.0 or later), after assigning the account's managed identity Azure AI Enterprise Network Connection Approver (b556d68e-0be0-4f35-a333-ad7ee1ce17ea) on the resource groups of its dependencies.`,
      };
    });
  },
});
