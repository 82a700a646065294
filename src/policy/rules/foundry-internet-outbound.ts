import { TYPES, sameValue } from "../../model/arm-ids.js";
import { accountArgs, phrase } from "../describe.js";
import { judgeFoundryNetworks, managedNetworkId, projectNames, projectsSentence } from "../foundry-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNO002",
  slug: "foundry-internet-outbound",
  title: "Foundry managed network allows internet outbound",
  severity: "medium",
  subject: "account",
  posture: "secure-outbound",
  rationale:
    "In 'allow internet outbound' mode the agents of every project can send data to any internet destination; only 'allow only approved outbound' restricts them to approved service tags, private endpoints and FQDNs.",
  remediation:
    "Switch the managed network to 'allow only approved outbound' and add the outbound rules the agents need (the change cannot be undone).",
  seeds: ["foundry-managed-network"],
  *evaluate({ view }) {
    yield* judgeFoundryNetworks(view, function* (account, network) {
      if (!sameValue(network.mode, "AllowInternetOutbound")) return;
      yield {
        kind: "violation",
        resourceId: account.id,
        resourceType: TYPES.foundryAccount,
        evidence: {
          isolationMode: network.mode,
          managedNetwork: managedNetworkId(account),
          projects: projectNames(view, account),
        },
        message: `${phrase(view, account.id)} lets its agents reach the whole internet (managed network mode AllowInternetOutbound).${projectsSentence(view, account)}`,
        remediation: `az cognitiveservices account managed-network update ${accountArgs(view, account.id)} --managed-network allow_only_approved_outbound --firewall-sku Standard (Azure CLI 2.86.0 or later; approved-only cannot be turned back to internet outbound), then add the rules the agents need (az cognitiveservices account managed-network outbound-rule set ${accountArgs(view, account.id)} --rule <name> --type fqdn --destination <exact-host>).`,
      };
    });
  },
});
