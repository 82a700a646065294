/**
 * `(snapshot, policy, now) → findings`: pure. Profiles and overrides decide which rules run and at what
 * severity; exemptions mark what is accepted; whatever a rule could not judge becomes AUDIT001.
 */
import { SnapshotView, type Snapshot } from "../snapshot.js";
import { exemptionCovers, isExpired } from "./exemptions.js";
import { profileEnables } from "./profiles.js";
import { RULES } from "./registry.js";
import { configurationOf, managedDeployments } from "./terms.js";
import {
  severityRank,
  type Configuration,
  type Exemption,
  type Policy,
  type RuleContext,
  type RuleMeta,
  type Severity,
  type Violation,
} from "./types.js";

export interface FindingDraft extends Omit<Violation, "kind"> {
  rule: RuleMeta;
  /** The severity after the policy's overrides. */
  severity: Severity;
  /** The live exemption that accepts this finding, if any. */
  exemption?: Exemption;
}

export interface Evaluation {
  drafts: FindingDraft[];
  /** Managed deployments per configuration of the seeds' table. */
  configurations: Partial<Record<Configuration | "unknown", number>>;
  /** False when anything needed could not be read. */
  complete: boolean;
  /**
   * Ids under which this run could not judge everything (read failures, and the subjects of rules that
   * lacked data): earlier findings there stay open instead of being resolved.
   */
  unjudgedScopes: string[];
  /** The rules that ran; earlier findings of other rules are neither seen nor resolved. */
  rulesRun: string[];
}

export function evaluate(snapshot: Snapshot, policy: Policy, now: Date): Evaluation {
  const view = new SnapshotView(snapshot);
  const ctx: RuleContext = { view, policy, now, unknowns: [] };
  const drafts: FindingDraft[] = [];
  const unjudged = new Set<string>(snapshot.failures.map((f) => f.scope));
  const rulesRun: string[] = [];

  for (const rule of RULES) {
    const override = policy.rules[rule.id];
    if (override === "off" || !profileEnables(policy.profile, rule.posture)) continue;
    rulesRun.push(rule.id);
    for (const outcome of rule.evaluate(ctx)) {
      if (outcome.kind === "unknown") {
        ctx.unknowns.push({ scope: outcome.scope, ruleId: rule.id, reason: outcome.reason });
        unjudged.add(outcome.subject ?? outcome.scope);
        continue;
      }
      const { kind: _kind, ...violation } = outcome;
      const exemption = policy.exemptions.find(
        (e) => exemptionCovers(e, rule.id, violation.resourceId) && !isExpired(e, now),
      );
      drafts.push({
        ...violation,
        rule,
        severity: override ?? rule.severity,
        ...(exemption ? { exemption } : {}),
      });
    }
  }

  drafts.sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      a.rule.id.localeCompare(b.rule.id) ||
      a.resourceId.toLowerCase().localeCompare(b.resourceId.toLowerCase()),
  );

  const configurations: Evaluation["configurations"] = {};
  for (const { workspace, endpoint, deployment, isolation } of managedDeployments(view)) {
    const key =
      isolation.state === "known" && view.propertiesKnown(workspace.id)
        ? configurationOf(workspace, endpoint, deployment)
        : "unknown";
    configurations[key] = (configurations[key] ?? 0) + 1;
  }

  return {
    drafts,
    configurations,
    complete: snapshot.failures.length === 0 && ctx.unknowns.length === 0,
    unjudgedScopes: [...unjudged],
    rulesRun,
  };
}
