/**
 * One audit run: scope → discover → collect → evaluate → reconcile. The caller brings the previous
 * state and writes the result to its sinks.
 */
import { randomBytes } from "node:crypto";
import { observe, type Finding, type Observed } from "./findings/finding.js";
import { reconcile } from "./findings/reconcile.js";
import { summarize, type Summary } from "./findings/summary.js";
import { ArmClients, type ArmConnection } from "./inventory/connection.js";
import {
  collectInventory,
  type AuditScope,
  type InventoryOptions,
  type Progress,
  type Source,
} from "./inventory/index.js";
import { Evaluator, findingOrder } from "./policy/evaluate.js";
import type { Policy } from "./policy/types.js";
import { CoverageTally, type ArmResource, type Snapshot } from "./model/snapshot.js";

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
  /** Receives what was read, a subscription at a time (the run archive spools it); nothing keeps it otherwise. */
  onInventory?: (resources: readonly ArmResource[]) => void;
}

export interface AuditResult {
  findings: Finding[];
  resolved: Finding[];
  state: Finding[];
  summary: Summary;
  /** What was read besides the resources handed to `onInventory`: subscriptions, failures. */
  inventory: Omit<Snapshot, "resources">;
  /** ML resources read (workspaces, endpoints, deployments). */
  mlResources: number;
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

/**
 * Reads and judges a subscription at a time: each is evaluated as soon as it is read whole, its findings
 * kept and its resources handed to `onInventory` (the archive) and forgotten. The run holds the findings
 * and what rules look up across subscriptions (hubs, dependencies), not the tenant's resources.
 */
export async function runAudit(request: AuditRequest): Promise<AuditResult> {
  const clock = request.now ?? (() => new Date());
  const startedAt = clock();
  const runId = request.runId ?? newRunId(startedAt);
  const observed = new Map<string, Observed>();
  const tally = new CoverageTally();
  let evaluator: Evaluator | undefined;
  let mlResources = 0;
  const run = await collectInventory(
    new ArmClients(request.connection),
    {
      source: request.source,
      scope: effectiveScope(request.policy, request.scope),
      ...(request.concurrency ? { concurrency: request.concurrency } : {}),
      ...(request.argBatchSize ? { argBatchSize: request.argBatchSize } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      previous: request.previous.map((f) => f.resourceId),
    },
    (unit, inventory) => {
      evaluator ??= new Evaluator(request.policy, startedAt, inventory.subscriptions);
      const view = evaluator.view(unit.resources, inventory.failures, inventory.context);
      for (const draft of evaluator.judge(view)) {
        const finding = observe(view, draft, runId, startedAt);
        observed.set(finding.id, finding);
      }
      tally.add(view);
      mlResources += unit.resources.length;
      request.onInventory?.(unit.released.length ? [...unit.resources, ...unit.released] : unit.resources);
    },
  );
  request.onInventory?.(run.contextResources);
  evaluator ??= new Evaluator(request.policy, startedAt, run.subscriptions);
  const runView = evaluator.view([], run.failures, run.context);
  const evaluation = evaluator.finish(runView);
  for (const draft of evaluation.drafts) {
    const finding = observe(runView, draft, runId, startedAt);
    observed.set(finding.id, finding);
  }
  const { findings, resolved, state } = reconcile(
    request.previous,
    [...observed.values()].sort(findingOrder),
    {
      subscriptions: run.subscriptions.map((s) => s.subscriptionId),
      unjudgedScopes: evaluation.unjudgedScopes,
      rulesRun: evaluation.rulesRun,
    },
  );
  observed.clear();
  const summary = summarize({
    runId,
    startedAt,
    finishedAt: clock(),
    source: request.source,
    profile: request.policy.profile,
    complete: evaluation.complete,
    coverage: tally.result(run.subscriptions, run.failures),
    configurations: evaluation.configurations,
    findings,
    resolved,
  });
  const inventory = {
    ...(run.tenantId ? { tenantId: run.tenantId } : {}),
    subscriptions: run.subscriptions,
    failures: run.failures,
  };
  return { findings, resolved, state, summary, inventory, mlResources };
}
