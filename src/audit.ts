/**
 * One audit run: scope → discover → collect → evaluate → reconcile. The caller brings the previous
 * state and writes the result to its sinks.
 */
import { randomBytes } from "node:crypto";
import { observe, type Finding } from "./findings/finding.js";
import { reconcile } from "./findings/reconcile.js";
import { summarize, type Summary } from "./findings/summary.js";
import { ArmClients, type ArmConnection } from "./inventory/connection.js";
import {
  collectSnapshot,
  type AuditScope,
  type InventoryOptions,
  type Progress,
  type Source,
} from "./inventory/index.js";
import { evaluate } from "./policy/evaluate.js";
import type { Policy } from "./policy/types.js";
import { SnapshotView, coverageOf, type Snapshot } from "./snapshot.js";

export interface AuditRequest {
  connection: ArmConnection;
  source: Source;
  policy: Policy;
  /** Overrides the policy's scope where it lists anything. */
  scope?: Partial<AuditScope>;
  previous: readonly Finding[];
  concurrency?: InventoryOptions["concurrency"];
  argBatchSize?: number;
  onProgress?: (progress: Progress) => void;
  /** The clock; tests pass a fixed one. */
  now?: () => Date;
  /** The id the run was requested under (the Functions app queues a run before it starts). */
  runId?: string;
}

export interface AuditResult {
  findings: Finding[];
  resolved: Finding[];
  state: Finding[];
  summary: Summary;
  snapshot: Snapshot;
}

export function newRunId(at: Date): string {
  return `${at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
}

export function effectiveScope(policy: Policy, override: Partial<AuditScope> = {}): AuditScope {
  const pick = (key: keyof AuditScope) => (override[key]?.length ? override[key] : policy.scope[key]);
  return {
    subscriptions: pick("subscriptions"),
    managementGroups: pick("managementGroups"),
    excludeSubscriptions: pick("excludeSubscriptions"),
  };
}

export async function runAudit(request: AuditRequest): Promise<AuditResult> {
  const clock = request.now ?? (() => new Date());
  const startedAt = clock();
  const runId = request.runId ?? newRunId(startedAt);
  const snapshot = await collectSnapshot(new ArmClients(request.connection), {
    source: request.source,
    scope: effectiveScope(request.policy, request.scope),
    ...(request.concurrency ? { concurrency: request.concurrency } : {}),
    ...(request.argBatchSize ? { argBatchSize: request.argBatchSize } : {}),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    previous: request.previous.map((f) => f.resourceId),
  });
  const evaluation = evaluate(snapshot, request.policy, startedAt);
  const view = new SnapshotView(snapshot);
  const observed = evaluation.drafts.map((d) => observe(view, d, runId, startedAt));
  const { findings, resolved, state } = reconcile(request.previous, observed, {
    subscriptions: snapshot.subscriptions.map((s) => s.subscriptionId),
    unjudgedScopes: evaluation.unjudgedScopes,
    rulesRun: evaluation.rulesRun,
  });
  const summary = summarize({
    runId,
    startedAt,
    finishedAt: clock(),
    source: request.source,
    profile: request.policy.profile,
    complete: evaluation.complete,
    coverage: coverageOf(snapshot),
    configurations: evaluation.configurations,
    findings,
    resolved,
  });
  return { findings, resolved, state, summary, snapshot };
}
