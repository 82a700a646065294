import { TYPES, canonicalType, parseResourceId, sameId } from "../../model/arm-ids.js";
import type { ScopeFailure, SnapshotView } from "../../model/snapshot.js";
import { phrase } from "../describe.js";
import { defineRule, type Violation } from "../types.js";

/** What a rule could not judge because the data it needs was not read. */
export interface Unread {
  scope: string;
  failures: ScopeFailure[];
  neededBy: { ruleId: string; reason: string }[];
}

/** A subscription's (or a resource group's) resources of one type, as a Foundry deny leaves unknown. */
const TYPE_SCOPE = /^\/subscriptions\/[^/]+(?:\/resourceGroups\/[^/]+)?\/providers\/([^/]+\/[^/]+)$/i;

function scopeType(scope: string): string {
  const typed = TYPE_SCOPE.exec(scope)?.[1];
  if (typed) return canonicalType(typed);
  return parseResourceId(scope)?.type ?? TYPES.subscription;
}

function describeFailure(f: ScopeFailure): string {
  const status = [f.status, f.code].filter((v) => v !== undefined && v !== "").join(" ");
  return `${f.operation} failed${status ? ` (${status})` : ""}`;
}

/** The AUDIT001 finding for one scope: unknown is never reported as clear. */
export function unreadableScope(view: SnapshotView, unread: Unread): Violation {
  const reasons = [
    ...unread.failures.map(describeFailure),
    ...unread.neededBy.map((n) => `${n.ruleId} could not be judged: ${n.reason}`),
  ];
  const isSubscription = sameId(scopeType(unread.scope), TYPES.subscription);
  // A role is assigned at the subscription or resource group, never at "its accounts": grant there, and
  // name the deny assignment that may be what withholds the one provider.
  const typed = TYPE_SCOPE.exec(unread.scope);
  const grantScope = typed
    ? unread.scope.slice(0, unread.scope.toLowerCase().lastIndexOf("/providers/"))
    : unread.scope;
  const grant =
    `az role assignment create --assignee <auditor-principal-id> --role Reader --scope ${grantScope}` +
    (typed
      ? ` (if the auditor has Reader there already, a deny assignment withholds ${canonicalType(typed[1] ?? "")}: see Access control › Deny assignments at that scope)`
      : "");
  return {
    kind: "violation",
    resourceId: unread.scope,
    resourceType: scopeType(unread.scope),
    evidence: {
      failures: unread.failures.map((f) => ({
        operation: f.operation,
        status: f.status ?? null,
        code: f.code ?? null,
        message: f.message,
      })),
      neededBy: unread.neededBy,
    },
    message: `${phrase(view, unread.scope)} could not be audited: ${reasons.join("; ")}. Its findings are unknown, not clear.`,
    remediation: unread.failures.some((f) => f.status === 404)
      ? `Check that the resource still exists and that the workspace points at it; if access is the cause: ${grant}`
      : unread.failures.some((f) => f.status === 401 || f.status === 403)
        ? `Grant the auditor read access: ${grant}`
        : isSubscription || unread.failures.length > 0
          ? "The service did not answer in time or throttled the audit past its retries; the next run retries it. If it persists, check ARM service health for the region."
          : `Make sure the auditor can read the resource: ${grant}`,
  };
}

export default defineRule({
  id: "AUDIT001",
  slug: "scope-unreadable",
  title: "Scope could not be read: its findings are unknown",
  severity: "high",
  subject: "scope",
  rationale:
    "A subscription, workspace, endpoint or dependency that the auditor could not read (401, 403, 404, or retries exhausted) may hide any finding; unknown is not the same as clear.",
  remediation:
    "Grant the auditor's identity Reader on the scope, or fix what made the read fail; the next run reads it again.",
  seeds: [],
  *evaluate({ view, unknowns }) {
    const byScope = new Map<string, Unread>();
    const entry = (scope: string): Unread => {
      const key = scope.toLowerCase();
      const found = byScope.get(key);
      if (found) return found;
      const created: Unread = { scope, failures: [], neededBy: [] };
      byScope.set(key, created);
      return created;
    };
    for (const failure of view.snapshot.failures) entry(failure.scope).failures.push(failure);
    for (const unknown of unknowns) {
      const needed = entry(unknown.scope).neededBy;
      if (!needed.some((n) => n.ruleId === unknown.ruleId))
        needed.push({ ruleId: unknown.ruleId, reason: unknown.reason });
    }
    // A subscription that could not be read at all refuses its zones too: its finding says it all.
    for (const [key, unread] of byScope) {
      const subscription = /^(\/subscriptions\/[^/]+)\/providers\//i.exec(unread.scope)?.[1]?.toLowerCase();
      if (subscription && byScope.has(subscription) && unread.neededBy.length === 0) byScope.delete(key);
    }
    for (const unread of byScope.values()) yield unreadableScope(view, unread);
  },
});
