import type { SnapshotView } from "../model/snapshot.js";
import type { SeedId } from "./seeds.js";

export const SEVERITIES = ["critical", "high", "medium", "low", "informational"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is more severe; used for sorting and `--fail-on`. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity);
}

export const PROFILES = ["strict", "private-inbound", "secure-outbound", "baseline"] as const;
export type Profile = (typeof PROFILES)[number];

/** The posture a rule enforces; a profile turns postures on or off (DESIGN §3). */
export type Posture = "private-inbound" | "private-workspace" | "secure-outbound";

export type FindingSubject =
  | "workspace"
  | "account"
  | "endpoint"
  | "deployment"
  | "compute"
  | "private endpoint connection"
  | "outbound rule"
  | "private endpoint"
  | "scope"
  | "exempted resource";

/** The four configurations of the seeds' supported-configurations table. */
export const CONFIGURATIONS = [
  "secure inbound with secure outbound",
  "secure inbound with public outbound",
  "public inbound with secure outbound",
  "public inbound with public outbound",
] as const;
export type Configuration = (typeof CONFIGURATIONS)[number];

export interface Exemption {
  ruleId: string;
  /** A resource id, or an id prefix ending in `/*`. */
  resource: string;
  reason: string;
  /** `YYYY-MM-DD` (valid through that day, UTC) or an ISO date-time. */
  expires: string;
  approvedBy?: string;
}

export interface Policy {
  profile: Profile;
  rules: Record<string, "off" | Severity>;
  exemptions: Exemption[];
  scope: { managementGroups: string[]; subscriptions: string[]; excludeSubscriptions: string[] };
}

export interface RuleContext {
  view: SnapshotView;
  policy: Policy;
  /** The run's time: rules have no clock of their own. */
  now: Date;
  /** What earlier rules could not judge; AUDIT001 reports it with the read failures. */
  unknowns: { scope: string; ruleId: string; reason: string }[];
}

/** A rule's verdict that something breaks it. */
export interface Violation {
  kind: "violation";
  resourceId: string;
  resourceType: string;
  /** The property values the verdict rests on, as read. */
  evidence: Record<string, unknown>;
  /** One sentence naming the resource, its workspace and subscription. */
  message: string;
  /** The exact command (or steps) for this resource. */
  remediation: string;
  configuration?: Configuration;
  /** This finding's severity, where the rule's depends on what it found (the policy's override still wins). */
  severity?: Severity;
}

/** The data a rule needs was not read: it does not guess, the scope becomes AUDIT001. */
export interface Unknown {
  kind: "unknown";
  /** What was not read (reported as AUDIT001). */
  scope: string;
  /** The resource whose verdict is unknown, when it is not the scope itself (a deployment whose registry was unreadable). */
  subject?: string;
  reason: string;
}

export type RuleOutcome = Violation | Unknown;

export interface RuleMeta {
  id: string;
  /** Readable long id; also the rule's file name. */
  slug: string;
  title: string;
  severity: Severity;
  subject: FindingSubject;
  rationale: string;
  /** What to do, in general; each finding carries the exact command for its resource. */
  remediation: string;
  seeds: SeedId[];
  /** The posture this rule enforces, when a profile can turn it off. */
  posture?: Posture;
}

export interface Rule extends RuleMeta {
  evaluate(ctx: RuleContext): Iterable<RuleOutcome>;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
