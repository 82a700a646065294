import { TYPES } from "../../model/arm-ids.js";
import { accountPrivateEndpointCommand, phrase } from "../describe.js";
import { judgeAccounts, projectNames, projectsSentence } from "../foundry-terms.js";
import { approvedConnections, isDisabled, publicNetworkAccess } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNI003",
  slug: "foundry-without-private-link",
  title: "Foundry or Azure OpenAI account has no approved private endpoint",
  severity: "high",
  subject: "account",
  posture: "private-workspace",
  rationale:
    "Public network access is enabled and no private endpoint connection is approved: every client reaches the account and its projects over a public path; the profile requires private access.",
  remediation:
    "Create a private endpoint to the account (group `account`) in the clients' virtual network, approve it, then disable public network access.",
  seeds: ["foundry-private-link"],
  *evaluate({ view }) {
    yield* judgeAccounts(view, function* (account) {
      if (isDisabled(publicNetworkAccess(account)) || approvedConnections(account) > 0) return;
      yield {
        kind: "violation",
        resourceId: account.id,
        resourceType: TYPES.foundryAccount,
        evidence: {
          kind: account.kind ?? null,
          publicNetworkAccess: account.properties?.publicNetworkAccess ?? null,
          approvedPrivateEndpoints: 0,
          projects: projectNames(view, account),
        },
        message: `${phrase(view, account.id)} has no approved private endpoint: its clients reach it over a public path.${projectsSentence(view, account)}`,
        remediation: accountPrivateEndpointCommand(view, account.id),
      };
    });
  },
});
