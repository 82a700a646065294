/**
 * Resource Graph's `POST /providers/Microsoft.ResourceGraph/resources`, for the queries the inventory sends:
 * a scope of subscriptions or management groups, `$skipToken` paging, and the rows the identity may read —
 * Resource Graph leaves out silently what RBAC (or a lasting 403/404 below a subscription) keeps from it.
 */
import type { Access } from "./access.js";
import { QueryError, parseQuery, runQuery } from "./arg-query.js";
import type { Faults } from "./faults.js";
import type { TenantIndex } from "./tenant-index.js";
import type { GraphQuota } from "./throttle.js";
import { ArmError } from "./types.js";

interface GraphRequest {
  subscriptions?: string[];
  managementGroups?: string[];
  query?: string;
  options?: { $skipToken?: string; $top?: number };
}

export class ResourceGraph {
  private readonly hidden: (id: string) => boolean;

  constructor(
    private readonly index: TenantIndex,
    private readonly access: Access,
    private readonly faults: Faults,
    private readonly quota: GraphQuota,
    private readonly pageSize: number,
  ) {
    this.hidden = faults.hidden();
  }

  query(body: unknown, principal: string): { body: unknown; headers: Record<string, string> } {
    const { index } = this;
    const request = body as GraphRequest | undefined;
    if (typeof request?.query !== "string")
      throw new ArmError(400, "BadRequest", "The request has no query.");
    let scope = index.tenant.subscriptions;
    if (request.subscriptions?.length) {
      scope = request.subscriptions.map((id) => {
        const found = index.subscription(id);
        if (!found)
          throw new ArmError(
            403,
            "AuthorizationFailed",
            `The client does not have access to subscription '${id}'.`,
          );
        return found;
      });
    } else if (request.managementGroups?.length) {
      const groups = request.managementGroups.map((g) => g.toLowerCase());
      scope = scope.filter((s) => (s.managementGroups ?? []).some((g) => groups.includes(g.toLowerCase())));
    }
    // A fault on a subscription fails every query whose scope includes it, as a permission error would.
    for (const s of scope)
      this.faults.apply(`/subscriptions/${s.subscriptionId}`, { resourceGraphOnly: true });
    const headers = this.quota.take(principal);

    let parsed;
    try {
      parsed = parseQuery(request.query);
    } catch (error) {
      if (error instanceof QueryError) throw new ArmError(400, "BadRequest", error.message);
      throw error;
    }
    const inScope = new Set(scope.map((s) => s.subscriptionId.toLowerCase()));
    const rows =
      parsed.table === "resources"
        ? [...inScope].flatMap((sub) => index.argRowsBySubscription.get(sub) ?? [])
        : index.containerRows();
    const result = runQuery(
      parsed,
      rows.filter(
        (r) =>
          inScope.has(String(r.subscriptionId).toLowerCase()) &&
          !this.hidden(String(r.id)) &&
          this.access.mayRead(String(r.id)),
      ),
    );
    const skipToken = request.options?.$skipToken;
    const offset = skipToken ? Number(Buffer.from(skipToken, "base64").toString("utf8")) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new ArmError(400, "BadRequest", "Invalid $skipToken.");
    const top = Math.min(request.options?.$top ?? this.pageSize, this.pageSize);
    const data = result.slice(offset, offset + top);
    const more = offset + top < result.length;
    return {
      headers,
      body: {
        totalRecords: result.length,
        count: data.length,
        resultTruncated: "false",
        facets: [],
        data,
        ...(more ? { $skipToken: Buffer.from(String(offset + top)).toString("base64") } : {}),
      },
    };
  }
}
