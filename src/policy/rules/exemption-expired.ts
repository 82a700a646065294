import { parseResourceId, subscriptionOf } from "../../model/arm-ids.js";
import { phrase } from "../describe.js";
import { exemptedScope, expiresAt, isExpired } from "../exemptions.js";
import { defineRule, type Exemption } from "../types.js";

export default defineRule({
  id: "AUDIT002",
  slug: "exemption-expired",
  title: "Exemption has expired",
  severity: "low",
  subject: "exempted resource",
  rationale:
    "An exemption is a time-boxed, approved acceptance of a risk; once it expires the finding it covered is open again and the exemption should be renewed with a fresh approval or removed.",
  remediation:
    "Renew the exemption in the policy file with a new expiry date and approver, or remove it and fix the finding.",
  seeds: [],
  *evaluate({ view, policy, now }) {
    const byResource = new Map<string, Exemption[]>();
    for (const exemption of policy.exemptions) {
      if (!isExpired(exemption, now)) continue;
      // An exemption outside the audited subscriptions is not this run's to judge.
      if (!view.subscription(subscriptionOf(exemptedScope(exemption)))) continue;
      const key = exemptedScope(exemption).toLowerCase();
      byResource.set(key, [...(byResource.get(key) ?? []), exemption]);
    }
    for (const exemptions of byResource.values()) {
      const scope = exemptedScope(exemptions[0] as Exemption);
      const rules = exemptions.map((e) => e.ruleId).join(", ");
      const expired = exemptions.map((e) => e.expires).join(", ");
      yield {
        kind: "violation",
        resourceId: scope,
        resourceType: parseResourceId(scope)?.type ?? "Microsoft.Resources/subscriptions",
        evidence: {
          exemptions: exemptions.map((e) => ({
            ruleId: e.ruleId,
            resource: e.resource,
            reason: e.reason,
            expires: e.expires,
            expiredAt: expiresAt(e).toISOString(),
            approvedBy: e.approvedBy ?? null,
          })),
        },
        message: `The exemption of ${phrase(view, scope)} from ${rules} expired (${expired}); its findings are open again.`,
        remediation: `Renew the exemption (new "expires" and "approvedBy") in the policy file, or remove it and fix ${rules}.`,
      };
    }
  },
});
