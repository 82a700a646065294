/**
 * The tenant file's injected faults: answers that replace ARM's (a status, the first `count` times or for good),
 * added latency, and what lasting faults below a subscription stand for in Azure — a 403 is a deny assignment
 * at that scope, a 404 a resource that is not there — so that every source sees one world.
 */
import { readOperationFor } from "../model/rbac.js";
import type { DenyAssignment, Fault } from "./tenant-file.js";
import { ArmError, pathWithin, SUBSCRIPTION_PATH, type EmulatorStats } from "./types.js";

interface FaultState extends Fault {
  /** Responses this fault has replaced. */
  hits: number;
  /** Requests this fault has delayed. */
  delayed: number;
}

const CODES: Record<number, (fault: Fault, path: string) => [string, string]> = {
  400: (fault) => [
    "NoRegisteredProviderFound",
    `No registered resource provider found for API version '${fault.apiVersion ?? ""}'.`,
  ],
  401: () => ["InvalidAuthenticationToken", "The access token is invalid."],
  403: (fault) => [
    "AuthorizationFailed",
    `The client does not have authorization to perform action over scope '${fault.path}' or the scope is invalid.`,
  ],
  404: (_fault, path) => ["ResourceNotFound", `The Resource '${path}' was not found.`],
  429: () => ["TooManyRequests", "The request is being throttled."],
  500: () => ["InternalServerError", "Encountered internal server error."],
  503: () => ["ServiceUnavailable", "The service is temporarily unavailable."],
};

export class Faults {
  private readonly faults: FaultState[];

  constructor(
    faults: readonly Fault[],
    private readonly stats: () => EmulatorStats,
  ) {
    this.faults = faults.map((f) => ({ ...f, hits: 0, delayed: 0 }));
  }

  /** Faults that always answer `status` below a subscription. */
  private lasting(status: number): FaultState[] {
    return this.faults.filter(
      (f) =>
        f.status === status &&
        f.count === undefined &&
        f.apiVersion === undefined &&
        !SUBSCRIPTION_PATH.test(f.path),
    );
  }

  /** The deny assignments lasting 403s stand for: reads of the faulted resource's provider at and below it. */
  denyAssignments(): DenyAssignment[] {
    return this.lasting(403).map((f, i) => ({
      name: `injected-fault-${i}`,
      scope: f.path,
      // A resource group's path: every read.
      actions: [
        /\/providers\//i.test(f.path) ? `${readOperationFor(f.path).split("/")[0]}/*/read` : "*/read",
      ],
      notActions: [],
    }));
  }

  /** Paths a lasting 404 or 403 keeps out of lists and Resource Graph's rows. */
  hidden(): (id: string) => boolean {
    const paths = [...this.lasting(403), ...this.lasting(404)].map((f) => f.path);
    return (id) => paths.some((p) => pathWithin(id, p));
  }

  /** Whether a lasting 404 says there is no resource at `id`. */
  absent(): (id: string) => boolean {
    const paths = this.lasting(404).map((f) => f.path);
    return (id) => paths.some((p) => pathWithin(id, p));
  }

  /**
   * Throws the first matching fault that still has hits left. `resourceGraphOnly`: only faults on a
   * subscription itself, which fail every Resource Graph query whose scope includes it.
   */
  apply(path: string, mode: { resourceGraphOnly?: boolean; apiVersion?: string | null } = {}): void {
    for (const fault of this.faults) {
      if (fault.status === undefined) continue;
      if (fault.apiVersion !== undefined && fault.apiVersion.toLowerCase() !== mode.apiVersion?.toLowerCase())
        continue;
      const matches = mode.resourceGraphOnly
        ? pathWithin(path, fault.path) && SUBSCRIPTION_PATH.test(fault.path)
        : pathWithin(path, fault.path);
      if (!matches) continue;
      if (fault.count !== undefined && fault.hits >= fault.count) continue;
      fault.hits += 1;
      this.stats().faulted += 1;
      const headers: Record<string, string> = {};
      if ((fault.status === 429 || fault.status === 503) && fault.retryAfterSeconds !== false)
        headers["Retry-After"] = String(fault.retryAfterSeconds ?? 1);
      const [code, message] = CODES[fault.status]?.(fault, path) ?? ["Error", "Injected fault."];
      throw new ArmError(fault.status, code, message, headers);
    }
  }

  /** The added latency of the matching faults; a fault with `count` delays only its first `count` requests. */
  latency(path: string): number {
    let total = 0;
    for (const f of this.faults) {
      if (!f.latencyMs || !pathWithin(path, f.path)) continue;
      if (f.count !== undefined && f.delayed >= f.count) continue;
      f.delayed += 1;
      total += f.latencyMs;
    }
    return total;
  }
}
