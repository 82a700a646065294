/**
 * Compares this run's findings with the previous state: each is `new`, `open` or `exempted`; previous
 * findings not seen now are resolved — only where this run read and judged everything.
 */
import { isWithin, subscriptionOfPath } from "../model/arm-ids.js";
import type { Finding, Observed } from "./finding.js";

export interface RunScope {
  /** The subscriptions this run audited (read or not). */
  subscriptions: string[];
  /** Ids under which this run could not read or judge everything. */
  unjudgedScopes: string[];
  /** Rules this run evaluated. */
  rulesRun: string[];
}

export interface Reconciled {
  /** This run's findings, plus earlier open findings inside scopes it could not read (`stale`). */
  findings: Finding[];
  /** Earlier findings that this run checked and no longer sees. */
  resolved: Finding[];
  /** What the next run reconciles against: the findings, plus those of subscriptions outside this run. */
  state: Finding[];
}

export function reconcile(
  previous: readonly Finding[],
  observed: readonly Observed[],
  scope: RunScope,
): Reconciled {
  const before = new Map(previous.map((f) => [f.id, f]));
  const seen = new Set<string>();
  const findings: Finding[] = observed.map(({ exempted, ...o }) => {
    seen.add(o.id);
    const earlier = before.get(o.id);
    return {
      ...o,
      status: exempted ? "exempted" : earlier ? "open" : "new",
      firstSeen: earlier?.firstSeen ?? o.lastSeen,
    };
  });

  const audited = new Set(scope.subscriptions.map((s) => s.toLowerCase()));
  const rulesRun = new Set(scope.rulesRun);
  const resolved: Finding[] = [];
  const outOfScope: Finding[] = [];
  for (const earlier of previous) {
    if (seen.has(earlier.id)) continue;
    // A scope that is no resource id (a subscription's accounts, a private endpoint's zone groups) is still
    // under its subscription: its AUDIT001 resolves when that subscription reads it whole again.
    const subscription = subscriptionOfPath(earlier.resourceId) ?? earlier.subscriptionId;
    if (!audited.has(subscription.toLowerCase())) {
      outOfScope.push(earlier);
    } else if (!rulesRun.has(earlier.ruleId)) {
      continue; // the rule is off now: neither seen nor checked, so not resolved either
    } else if (scope.unjudgedScopes.some((s) => isWithin(earlier.resourceId, s))) {
      findings.push({ ...earlier, status: earlier.status === "new" ? "open" : earlier.status, stale: true });
    } else {
      resolved.push(earlier);
    }
  }
  return { findings, resolved, state: [...findings, ...outOfScope] };
}
