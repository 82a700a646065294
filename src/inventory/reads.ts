/**
 * What a reader needs of the run it reads for: the clients and their limiter, where resources and failures go,
 * and what was read already. The Collector provides it; the readers it holds (private DNS, selected IPs) and
 * the read proof depend on this, not on the Collector, so that the inventory's modules import one another in
 * one direction: sources → collector → readers → reads.
 */
import type { ArmResource, ResourceIndex, ScopeFailure, ScopeType } from "../model/snapshot.js";
import type { ArmClients } from "./connection.js";
import type { Limiter } from "./limiter.js";

/**
 * A GET's outcome: the response (a 200's body parsed as `value`, any other's as text), a resource id the auditor
 * does not read, or the request's error (a 200 whose body is not JSON among them).
 */
export type Fetched =
  { status: number; body?: string; value?: unknown } | { unreadable: string } | { error: unknown };

/** A list's outcome: every page's items, or the status (and body) that stopped it. */
export type Listed = { status: 200; items: unknown[] } | { status: number; body?: string };

export interface ReadContext {
  readonly clients: ArmClients;
  readonly limiter: Limiter;
  /** Resources any subscription's rules may look up by id. */
  readonly context: ResourceIndex;
  readonly failures: ScopeFailure[];
  /** Keeps a resource read from ARM or Resource Graph (normalized, its shape checked); undefined if it is none. */
  add(raw: unknown): ArmResource | undefined;
  has(id: string): boolean;
  /** Records a read that failed as the failure of `scope`. */
  fail(error: unknown, scope: string, scopeType: ScopeType, operation: string): void;
  fetchAt(id: string, apiVersion: string | undefined): Promise<Fetched>;
  listRaw(
    subscriptionId: string,
    path: string,
    apiVersion: string,
    filter?: string,
    urgent?: boolean,
  ): Promise<Listed>;
}
