/**
 * How a run's changes to the `findings` table become the state, and only once it commits.
 *
 * A row holds its status twice: the status as of the last committed change (`status`, `resolvedAt`,
 * `firstSeen`, `reopenedAt`, `reopenedCount`) and the change the last run to touch it made (`next…`, with
 * `changedBy`, that run's id). Every reader takes the `next…` values only when `changedBy` names a run whose
 * `runs` row says it committed — a row written last, after every other write of the run — and the committed
 * values otherwise. So a run killed or cut off at any step leaves the table reading as it was before that run,
 * and the next run finds and reports the same new and resolved findings. A run that writes a row folds what
 * it read (the effective state) into the committed values, and puts its own change in `next…`.
 *
 * `status` "" is a row that has no committed state: written by a run that has not committed, it does not exist
 * for any reader. Rows written before this scheme (no `changedBy`) read as they are.
 */
/** A finding's status as the `findings` table stores it. */
export type StoredStatus = "open" | "resolved" | "exempted";

export interface RowState {
  /** "" when the row has no state: the finding was never seen by a committed run. */
  status: StoredStatus | "";
  resolvedAt: string;
  firstSeen: string;
  reopenedAt: string;
  reopenedCount: number;
}

export const ABSENT: RowState = {
  status: "",
  resolvedAt: "",
  firstSeen: "",
  reopenedAt: "",
  reopenedCount: 0,
};

const NEXT: Record<keyof RowState, string> = {
  status: "nextStatus",
  resolvedAt: "nextResolvedAt",
  firstSeen: "nextFirstSeen",
  reopenedAt: "nextReopenedAt",
  reopenedCount: "nextReopenedCount",
};

type Row = Record<string, unknown>;

const text = (row: Row, key: string) => (typeof row[key] === "string" ? row[key] : "");
const count = (row: Row, key: string) => Number(row[key] ?? 0) || 0;

function statusOf(value: string): RowState["status"] {
  return value === "open" || value === "resolved" || value === "exempted" ? value : "";
}

function committedValues(row: Row): RowState {
  return {
    status: statusOf(text(row, "status")),
    resolvedAt: text(row, "resolvedAt"),
    firstSeen: text(row, "firstSeen"),
    reopenedAt: text(row, "reopenedAt"),
    reopenedCount: count(row, "reopenedCount"),
  };
}

function nextValues(row: Row): RowState {
  return {
    status: statusOf(text(row, NEXT.status)),
    resolvedAt: text(row, NEXT.resolvedAt),
    firstSeen: text(row, NEXT.firstSeen),
    reopenedAt: text(row, NEXT.reopenedAt),
    reopenedCount: count(row, NEXT.reopenedCount),
  };
}

/** The run whose change a row carries, if any. */
export function changedBy(row: Row): string | undefined {
  const id = text(row, "changedBy");
  return id === "" ? undefined : id;
}

/** The row as readers see it, given which runs committed. */
export function effectiveState(row: Row, committed: (runId: string) => boolean): RowState {
  const by = changedBy(row);
  return by !== undefined && committed(by) ? nextValues(row) : committedValues(row);
}

/** The properties a run writes: what it read as the committed state, and its own change on top. */
export function rowStateProperties(read: RowState, change: RowState, runId: string): Record<string, string> {
  return {
    status: read.status,
    resolvedAt: read.resolvedAt,
    firstSeen: read.firstSeen,
    reopenedAt: read.reopenedAt,
    reopenedCount: String(read.reopenedCount),
    [NEXT.status]: change.status,
    [NEXT.resolvedAt]: change.resolvedAt,
    [NEXT.firstSeen]: change.firstSeen,
    [NEXT.reopenedAt]: change.reopenedAt,
    [NEXT.reopenedCount]: String(change.reopenedCount),
    changedBy: runId,
  };
}

/** A row's properties with its effective state in the plain fields, for code that reads a row as a finding. */
export function withState(row: Row, state: RowState): Row {
  return {
    ...row,
    status: state.status,
    resolvedAt: state.resolvedAt,
    firstSeen: state.firstSeen,
    reopenedAt: state.reopenedAt,
    reopenedCount: state.reopenedCount,
  };
}

/** Which runs committed, read from the `runs` table once per run id for as long as one reading lasts. */
export class CommitLedger {
  private readonly answers = new Map<string, boolean>();

  constructor(private readonly isCommitted: (runId: string) => Promise<boolean>) {}

  /** Reads what is not known yet of these run ids; then `committed` answers for them. */
  async learn(runIds: Iterable<string | undefined>): Promise<void> {
    const unknown = [...new Set(runIds)].filter(
      (id): id is string => id !== undefined && !this.answers.has(id),
    );
    const answers = await Promise.all(unknown.map(async (id) => [id, await this.isCommitted(id)] as const));
    for (const [id, committed] of answers) this.answers.set(id, committed);
  }

  readonly committed = (runId: string): boolean => this.answers.get(runId) === true;
}
