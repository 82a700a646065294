/**
 * `(snapshot, policy, now) → findings`: pure. Profiles and overrides decide which rules run and at what
 * severity; exemptions mark what is accepted; whatever a rule could not judge becomes AUDIT001.
 */
import {
  SnapshotView,
  type ArmResource,
  type ScopeFailure,
  type Snapshot,
  type SubscriptionInfo,
} from "../model/snapshot.js";
import { exemptionCovers, isExpired } from "./exemptions.js";
import { profileEnables } from "./profiles.js";
import { RULES } from "./registry.js";
import { configurationOf, managedDeployments } from "./terms.js";
import {
  severityRank,
  type Configuration,
  type Exemption,
  type Policy,
  type Rule,
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

/** Rules that judge the run as a whole (read failures, exemptions), not the resources of one subscription. */
const RUN_SUBJECTS = new Set(["scope", "exempted resource"]);

/** Most severe first, then by rule, then by resource: the order of every findings list. */
export function findingOrder(
  a: { severity: Severity; ruleId: string; resourceId: string },
  b: { severity: Severity; ruleId: string; resourceId: string },
): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.resourceId.toLowerCase().localeCompare(b.resourceId.toLowerCase())
  );
}

/**
 * Evaluation a subscription at a time, so that a run holds one subscription's resources, not the tenant's:
 * `judge` each settled subscription's resources as they come (looking up hubs and dependencies in
 * `context`), then `finish` once, with every read failure, for what concerns the run as a whole.
 */
export class Evaluator {
  private readonly unknowns: RuleContext["unknowns"] = [];
  private readonly unjudged = new Set<string>();
  private readonly configurations: Evaluation["configurations"] = {};
  private readonly enabled: Rule[];

  constructor(
    private readonly policy: Policy,
    private readonly now: Date,
    private readonly subscriptions: SubscriptionInfo[],
  ) {
    this.enabled = RULES.filter((rule) => {
      const override = policy.rules[rule.id];
      return override !== "off" && profileEnables(policy.profile, rule.posture);
    });
  }

  /** A view of these resources as the rules see them: `context` and `failures` as read so far. */
  view(
    resources: ArmResource[],
    failures: readonly ScopeFailure[],
    context?: ReadonlyMap<string, ArmResource>,
  ): SnapshotView {
    return new SnapshotView(
      { subscriptions: this.subscriptions, resources, failures: [...failures] },
      context,
    );
  }

  /** The findings on one subscription's resources (unsorted). */
  judge(view: SnapshotView): FindingDraft[] {
    const drafts = this.run(view, (rule) => !RUN_SUBJECTS.has(rule.subject));
    for (const { workspace, endpoint, deployment, isolation } of managedDeployments(view)) {
      const key =
        isolation.state === "known" && view.propertiesKnown(workspace.id)
          ? configurationOf(workspace, endpoint, deployment)
          : "unknown";
      this.configurations[key] = (this.configurations[key] ?? 0) + 1;
    }
    return drafts;
  }

  /** The run-wide findings (AUDIT001 for every failure and every unknown, expired exemptions), and the totals. */
  finish(view: SnapshotView): Evaluation {
    for (const f of view.snapshot.failures) this.unjudged.add(f.scope);
    const drafts = this.run(view, (rule) => RUN_SUBJECTS.has(rule.subject));
    return {
      drafts,
      configurations: this.configurations,
      complete: view.snapshot.failures.length === 0 && this.unknowns.length === 0,
      unjudgedScopes: [...this.unjudged],
      rulesRun: this.enabled.map((r) => r.id),
    };
  }

  private run(view: SnapshotView, which: (rule: Rule) => boolean): FindingDraft[] {
    const ctx: RuleContext = { view, policy: this.policy, now: this.now, unknowns: this.unknowns };
    const drafts: FindingDraft[] = [];
    for (const rule of this.enabled.filter(which)) {
      for (const outcome of rule.evaluate(ctx)) {
        if (outcome.kind === "unknown") {
          this.unknowns.push({ scope: outcome.scope, ruleId: rule.id, reason: outcome.reason });
          this.unjudged.add(outcome.subject ?? outcome.scope);
          continue;
        }
        const { kind: _kind, severity: found, ...violation } = outcome;
        const exemption = this.policy.exemptions.find(
          (e) => exemptionCovers(e, rule.id, violation.resourceId) && !isExpired(e, this.now),
        );
        drafts.push({
          ...violation,
          rule,
          severity: (this.policy.rules[rule.id] as Severity | undefined) ?? found ?? rule.severity,
          ...(exemption ? { exemption } : {}),
        });
      }
    }
    return drafts;
  }
}

/** A whole snapshot at once: one subscription's worth of evaluation, then the run's. */
export function evaluate(snapshot: Snapshot, policy: Policy, now: Date): Evaluation {
  const evaluator = new Evaluator(policy, now, snapshot.subscriptions);
  const view = new SnapshotView(snapshot);
  const drafts = [...evaluator.judge(view)];
  const run = evaluator.finish(view);
  drafts.push(...run.drafts);
  drafts.sort((a, b) =>
    findingOrder(
      { severity: a.severity, ruleId: a.rule.id, resourceId: a.resourceId },
      { severity: b.severity, ruleId: b.rule.id, resourceId: b.resourceId },
    ),
  );
  return { ...run, drafts };
}
