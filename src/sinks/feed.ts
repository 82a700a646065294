/**
 * The dashboard feed: the `findings` table read back with filters and paging. Only Table queries, never
 * ARM. The continuation token a client gets is the Table query's own, wrapped with a digest of the
 * filter it belongs to, so that a token is refused for another query or when it was tampered with.
 */
import { odata, type TableClient } from "@azure/data-tables";
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Finding } from "../findings/finding.js";
import { SEVERITIES, severityRank, type Severity } from "../policy/types.js";
import { changedBy, effectiveState, withState, type CommitLedger } from "./row-state.js";
import { fromEntity, type StoredStatus } from "./storage.js";

export const STORED_STATUSES = ["open", "resolved", "exempted"] as const satisfies readonly StoredStatus[];
export const MAX_TOP = 1000;

export interface FindingsQuery {
  status?: StoredStatus;
  /** At or above this severity. */
  severity?: Severity;
  ruleId?: string;
  subscription?: string;
  workspace?: string;
  /** A Foundry or Azure OpenAI account's name. */
  account?: string;
  /** The ARM type of the finding's resource, spelled as the auditor writes it (see `canonicalType`). */
  resourceType?: string;
  top: number;
  continuationToken?: string;
}

/** A finding as the table holds it: resolved ones included, with when they were resolved. */
export type FeedFinding = Omit<Finding, "status"> & {
  status: StoredStatus;
  resolvedAt?: string;
  reopenedCount?: number;
};

export class ContinuationTokenError extends Error {
  override name = "ContinuationTokenError";
}

export function findingsFilter(query: Omit<FindingsQuery, "top" | "continuationToken">): string {
  const parts: string[] = [];
  if (query.subscription) parts.push(odata`PartitionKey eq ${query.subscription.toLowerCase()}`);
  // The committed status or the one a run wrote on top of it: which is the row's depends on whether that
  // run committed, known only after the read (row-state.ts).
  if (query.status) parts.push(odata`(status eq ${query.status} or nextStatus eq ${query.status})`);
  if (query.ruleId) parts.push(odata`ruleId eq ${query.ruleId.toUpperCase()}`);
  if (query.workspace) parts.push(odata`workspace eq ${query.workspace}`);
  if (query.account) parts.push(odata`account eq ${query.account}`);
  if (query.resourceType) parts.push(odata`resourceType eq ${query.resourceType}`);
  if (query.severity) {
    const floor = query.severity;
    const atOrAbove = SEVERITIES.filter((s) => severityRank(s) >= severityRank(floor));
    parts.push(`(${atOrAbove.map((s) => odata`severity eq ${s}`).join(" or ")})`);
  }
  return parts.join(" and ");
}

const digestOf = (filter: string) => createHash("sha256").update(filter).digest("base64url").slice(0, 16);

const wrapped = z.strictObject({ q: z.string().length(16), t: z.string().min(1).max(2048) });
const tableToken = z.strictObject({
  nextPartitionKey: z.string().min(1).max(1024),
  nextRowKey: z.string().max(1024).optional(),
});

export function wrapToken(filter: string, token: string): string {
  return Buffer.from(JSON.stringify({ q: digestOf(filter), t: token })).toString("base64url");
}

/** The Table query's token inside a client's token; throws a ContinuationTokenError saying why not. */
export function unwrapToken(filter: string, token: string): string {
  const fail = (why: string) => new ContinuationTokenError(`continuationToken: ${why}`);
  if (token.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(token)) throw fail("is not a token this API issued");
  let outer: z.infer<typeof wrapped>;
  try {
    outer = wrapped.parse(JSON.parse(Buffer.from(token, "base64url").toString("utf8")));
    tableToken.parse(JSON.parse(Buffer.from(outer.t, "base64").toString("utf8")));
  } catch {
    throw fail("is not a token this API issued");
  }
  if (outer.q !== digestOf(filter)) throw fail("belongs to a query with other filters");
  return outer.t;
}

export function feedFindingOf(
  entity: Record<string, unknown> & { partitionKey?: string; rowKey?: string },
): FeedFinding {
  const finding = fromEntity(entity);
  const status = STORED_STATUSES.find((s) => s === entity.status) ?? "open";
  const feed: FeedFinding = { ...finding, status };
  if (typeof entity.resolvedAt === "string" && entity.resolvedAt !== "") feed.resolvedAt = entity.resolvedAt;
  const reopened = Number(entity.reopenedCount ?? 0);
  if (reopened > 0) feed.reopenedCount = reopened;
  return feed;
}

/** Pages of a filtered Table query are often short: this many are read at most for one answer. */
const MAX_PAGES_PER_ANSWER = 20;

/**
 * Up to `top` findings, and a token for the rest. Pages are read until `top` is reached, each asking for
 * no more than what is missing, so a token always points just past the last finding returned.
 */
export async function queryFindings(
  table: TableClient,
  query: FindingsQuery,
  ledger: CommitLedger,
): Promise<{ findings: FeedFinding[]; continuationToken?: string }> {
  const filter = findingsFilter(query);
  let token = query.continuationToken ? unwrapToken(filter, query.continuationToken) : undefined;
  const findings: FeedFinding[] = [];
  for (let pages = 0; pages < MAX_PAGES_PER_ANSWER && findings.length < query.top; pages += 1) {
    const iterator = table
      .listEntities<Record<string, unknown>>({ queryOptions: filter ? { filter } : {} })
      .byPage({ maxPageSize: query.top - findings.length, ...(token ? { continuationToken: token } : {}) });
    const first = await iterator.next();
    if (first.done) {
      token = undefined;
      break;
    }
    // Each row as the committed runs left it: a change by a run that did not commit is not shown.
    await ledger.learn(first.value.map((row) => changedBy(row)));
    for (const entity of first.value) {
      const state = effectiveState(entity, ledger.committed);
      if (state.status === "" || (query.status && state.status !== query.status)) continue;
      findings.push(feedFindingOf(withState(entity, state)));
    }
    token = first.value.continuationToken;
    if (!token) break;
  }
  return { findings, ...(token ? { continuationToken: wrapToken(filter, token) } : {}) };
}
