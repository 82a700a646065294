/**
 * The finding model of DESIGN §5, and how a rule's verdict becomes one: a stable id, where the
 * resource sits (names, not just ids) and the run's times.
 */
import { createHash } from "node:crypto";
import type { SnapshotView } from "../model/snapshot.js";
import { locate, type Location } from "../policy/describe.js";
import type { FindingDraft } from "../policy/evaluate.js";
import type { Configuration, Severity } from "../policy/types.js";

export type FindingStatus = "new" | "open" | "exempted";

/** Where the resource sits (`Location`: subscription id and name, resource group, ML names) and what was found. */
export interface Finding extends Location {
  id: string;
  ruleId: string;
  slug: string;
  title: string;
  severity: Severity;
  status: FindingStatus;
  resourceId: string;
  resourceType: string;
  configuration?: Configuration;
  evidence: Record<string, unknown>;
  message: string;
  remediation: string;
  /** The documentation the rule comes from (docs/sources/). */
  seed: string[];
  exemption?: { reason: string; expires: string; approvedBy?: string; resource: string };
  firstSeen: string;
  lastSeen: string;
  runId: string;
  /**
   * Seen by an earlier run, inside a scope this run could not read: kept open, not re-checked.
   * `lastSeen` tells when it was last confirmed.
   */
  stale?: boolean;
}

/** Stable across runs: a hash of the rule id and the lower-cased resource id. */
export function findingId(ruleId: string, resourceId: string): string {
  return createHash("sha256")
    .update(`${ruleId.toUpperCase()}|${resourceId.toLowerCase()}`)
    .digest("hex")
    .slice(0, 32);
}

/** A finding as this run sees it, before reconcile sets its status and first-seen time. */
export type Observed = Omit<Finding, "status" | "firstSeen"> & { exempted: boolean };

export function observe(view: SnapshotView, draft: FindingDraft, runId: string, now: Date): Observed {
  const where = locate(view, draft.resourceId);
  const observed: Observed = {
    id: findingId(draft.rule.id, draft.resourceId),
    ruleId: draft.rule.id,
    slug: draft.rule.slug,
    title: draft.rule.title,
    severity: draft.severity,
    resourceId: draft.resourceId,
    resourceType: draft.resourceType,
    ...where,
    evidence: draft.evidence,
    message: draft.message,
    remediation: draft.remediation,
    seed: [...draft.rule.seeds],
    lastSeen: now.toISOString(),
    runId,
    exempted: draft.exemption !== undefined,
  };
  if (draft.configuration) observed.configuration = draft.configuration;
  if (draft.exemption) {
    const { reason, expires, approvedBy, resource } = draft.exemption;
    observed.exemption = { reason, expires, resource, ...(approvedBy ? { approvedBy } : {}) };
  }
  return observed;
}
