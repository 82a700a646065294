import { TYPES, sameValue } from "../../model/arm-ids.js";
import { accountPatchCommand, phrase } from "../describe.js";
import {
  judgeAccounts,
  foundryAcl,
  foundryInbound,
  projectNames,
  projectsSentence,
} from "../foundry-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNI001",
  slug: "foundry-public-inbound",
  title: "Foundry or Azure OpenAI account is reachable from the internet",
  severity: "high",
  subject: "account",
  posture: "private-workspace",
  rationale:
    "Public network access is enabled and the network rule set does not deny by default: the account's API, and every project under it, accept connections from any internet address; the profile requires private access.",
  remediation:
    "Reach the account through an approved private endpoint (group `account`), then disable public network access.",
  seeds: ["foundry-private-link"],
  *evaluate({ view }) {
    yield* judgeAccounts(view, function* (account) {
      if (foundryInbound(account) !== "internet") return;
      yield {
        kind: "violation",
        resourceId: account.id,
        resourceType: TYPES.foundryAccount,
        evidence: {
          kind: account.kind ?? null,
          publicNetworkAccess: account.properties?.publicNetworkAccess ?? null,
          defaultAction: foundryAcl(account).defaultAction,
          ...(sameValue(foundryAcl(account).defaultAction, "Deny")
            ? { ipRules: foundryAcl(account).ipRules }
            : {}),
          projects: projectNames(view, account),
        },
        message: `${phrase(view, account.id)} accepts connections from any internet address${sameValue(foundryAcl(account).defaultAction, "Deny") ? ` (its IP rules, ${foundryAcl(account).ipRules.join(", ")}, cover the internet)` : ""}.${projectsSentence(view, account)}`,
        remediation: `Once clients reach it through a private endpoint: ${accountPatchCommand(account.id, { publicNetworkAccess: "Disabled" })}`,
      };
    });
  },
});
