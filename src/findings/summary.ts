import type { Coverage } from "../model/snapshot.js";
import { RULES } from "../policy/registry.js";
import { SEVERITIES, type Configuration, type Profile, type Severity } from "../policy/types.js";
import type { Finding, FindingStatus } from "./finding.js";

export interface Summary {
  runId: string;
  startedAt: string;
  finishedAt: string;
  source: "arg" | "arm";
  profile: Profile;
  complete: boolean;
  coverage: Coverage;
  counts: {
    bySeverity: Record<Severity, number>;
    byStatus: Record<FindingStatus, number>;
    byRule: Record<string, number>;
  };
  configurations: Partial<Record<Configuration | "unknown", number>>;
  new: number;
  resolved: number;
  /** Writes to Azure Storage that failed after retries; the next run completes them. */
  storageErrors?: string[];
  /** Log Analytics did not take all of the run's rows: those are kept and sent first by the next run. */
  logsErrors?: string[];
  /** What was resolved, so that the folder alone tells what changed. */
  resolvedFindings: { id: string; ruleId: string; resourceId: string; firstSeen: string; lastSeen: string }[];
}

export interface SummaryInput {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  source: "arg" | "arm";
  profile: Profile;
  complete: boolean;
  coverage: Coverage;
  configurations: Summary["configurations"];
  findings: readonly Finding[];
  resolved: readonly Finding[];
}

export function summarize(input: SummaryInput): Summary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byStatus: Record<FindingStatus, number> = { new: 0, open: 0, exempted: 0 };
  const byRule: Record<string, number> = Object.fromEntries(RULES.map((r) => [r.id, 0]));
  for (const f of input.findings) {
    bySeverity[f.severity] += 1;
    byStatus[f.status] += 1;
    byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  }
  return {
    runId: input.runId,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    source: input.source,
    profile: input.profile,
    complete: input.complete,
    coverage: input.coverage,
    counts: { bySeverity, byStatus, byRule },
    configurations: input.configurations,
    new: byStatus.new,
    resolved: input.resolved.length,
    resolvedFindings: input.resolved.map(({ id, ruleId, resourceId, firstSeen, lastSeen }) => ({
      id,
      ruleId,
      resourceId,
      firstSeen,
      lastSeen,
    })),
  };
}
