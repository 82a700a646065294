import { TYPES } from "../../model/arm-ids.js";
import { accountArgs, accountPatchCommand, phrase } from "../describe.js";
import {
  judgeAccounts,
  foundryAcl,
  foundryInbound,
  projectNames,
  projectsSentence,
} from "../foundry-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNI002",
  slug: "foundry-public-selected-networks",
  title: "Foundry or Azure OpenAI account is reachable from selected public networks",
  severity: "medium",
  subject: "account",
  posture: "private-workspace",
  rationale:
    "Public network access is enabled with a rule set that denies by default but admits listed IP ranges or subnets: those networks reach the account and its projects besides its private endpoints; the profile requires private access.",
  remediation:
    "Keep the rules to networks that cannot use a private endpoint, or disable public network access once clients use one.",
  seeds: ["foundry-private-link"],
  *evaluate({ view }) {
    yield* judgeAccounts(view, function* (account) {
      if (foundryInbound(account) !== "selected networks") return;
      const { ipRules, virtualNetworkRules } = foundryAcl(account);
      const listed = [
        ipRules.length
          ? `${ipRules.length} IP range${ipRules.length === 1 ? "" : "s"} (${ipRules.join(", ")})`
          : "",
        virtualNetworkRules.length
          ? `${virtualNetworkRules.length} subnet${virtualNetworkRules.length === 1 ? "" : "s"}`
          : "",
      ].filter(Boolean);
      const args = accountArgs(view, account.id);
      yield {
        kind: "violation",
        resourceId: account.id,
        resourceType: TYPES.foundryAccount,
        evidence: {
          kind: account.kind ?? null,
          publicNetworkAccess: account.properties?.publicNetworkAccess ?? null,
          defaultAction: "Deny",
          ipRules,
          virtualNetworkRules,
          projects: projectNames(view, account),
        },
        message: `${phrase(view, account.id)} accepts public connections from ${listed.join(" and ")}.${projectsSentence(view, account)}`,
        remediation:
          `Review the rules (az cognitiveservices account network-rule list ${args}) and remove those not needed ` +
          `(az cognitiveservices account network-rule remove ${args} --ip-address <range> | --subnet <subnet-id>); ` +
          `or, once clients use a private endpoint: ${accountPatchCommand(account.id, { publicNetworkAccess: "Disabled" })}`,
      };
    });
  },
});
