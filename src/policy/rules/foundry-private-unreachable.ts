import { TYPES } from "../../model/arm-ids.js";
import { accountPrivateEndpointCommand, phrase } from "../describe.js";
import { judgeAccounts, projectNames, projectsSentence } from "../foundry-terms.js";
import { approvedConnections, isDisabled, publicNetworkAccess } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNI004",
  slug: "foundry-private-unreachable",
  title: "Private Foundry or Azure OpenAI account has no approved private endpoint",
  severity: "medium",
  subject: "account",
  rationale:
    "Public network access is disabled and no private endpoint connection is approved: no client can reach the account or any of its projects.",
  remediation:
    "Create (or approve) a private endpoint to the account, group `account`, in the clients' virtual network.",
  seeds: ["foundry-private-link"],
  *evaluate({ view }) {
    yield* judgeAccounts(view, function* (account) {
      if (!isDisabled(publicNetworkAccess(account)) || approvedConnections(account) > 0) return;
      yield {
        kind: "violation",
        resourceId: account.id,
        resourceType: TYPES.foundryAccount,
        evidence: {
          kind: account.kind ?? null,
          publicNetworkAccess: "Disabled",
          approvedPrivateEndpoints: 0,
          projects: projectNames(view, account),
        },
        message: `${phrase(view, account.id)} has public access disabled and no approved private endpoint: no client can reach it.${projectsSentence(view, account)}`,
        remediation: accountPrivateEndpointCommand(view, account.id),
      };
    });
  },
});
