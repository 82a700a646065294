/**
 * A workspace's selected IP ranges (`properties.networkAcls`): no stable api-version of
 * Microsoft.MachineLearningServices defines them (2025-12-01, the version every other workspace property is
 * read at, has `publicNetworkAccess` but no `networkAcls`; only the previews since 2024-10-01-preview do), and a
 * resource provider answers with the properties of the version asked for. So they are read at
 * `SELECTED_IPS_API_VERSION`, for the workspaces where they can change a verdict: one whose public access is not
 * disabled (selected IPs, or the internet), one with an online endpoint open to the public (ranges kept after a
 * switch to disabled still admit it), and every hub (its projects' endpoints, in any subscription, are judged
 * by it). A subscription with two or more of them is read with one list at that version, otherwise a GET.
 *
 * Both sources read them the same way: whatever a Resource Graph row carries under `networkAcls` is replaced by
 * ARM's answer, so that the two agree. A read that fails leaves the ranges unknown: a failure naming the
 * property, and the rules that depend on it yield AUDIT001 for that workspace, never a guess.
 */
import { TYPES, parentId, sameId, sameValue, subscriptionOf } from "../model/arm-ids.js";
import type { ArmResource, ScopeFailure } from "../model/snapshot.js";
import type { ReadContext } from "./reads.js";
import { responseFailure, toFailure } from "./failures.js";
import { SELECTED_IPS_SHAPE, describeWrong, wrongIn } from "./shapes.js";

/**
 * The newest api-version whose published schema defines a workspace's `networkAcls` (a preview: stable
 * 2025-06-01 through 2026-05-01 define neither `networkAcls` nor `ipAllowlist`).
 */
export const SELECTED_IPS_API_VERSION = "2026-05-15-preview";
/** The workspace properties read at `SELECTED_IPS_API_VERSION` rather than with the rest of the workspace. */
export const SELECTED_IP_PROPERTIES = ["networkAcls"] as const;
export const SELECTED_IPS_READ = `read the workspace's selected IP ranges (api-version ${SELECTED_IPS_API_VERSION})`;

type Answer = { acls: unknown } | { failure: Omit<ScopeFailure, "scope"> };

const isProject = (w: ArmResource) =>
  sameValue(w.kind, "Project") &&
  typeof w.properties?.hubResourceId === "string" &&
  w.properties.hubResourceId.length > 0;
const isDisabled = (value: unknown) => sameValue(value, "Disabled");

export class SelectedIpReader {
  /** Per workspace id (lower case): ARM's answer, once. */
  private readonly answers = new Map<string, Promise<Answer>>();

  constructor(private readonly collector: ReadContext) {}

  /**
   * Whether the workspace's selected IP ranges can change a verdict: see the module's comment. `endpoints` are the
   * online endpoints read in its subscription.
   */
  static matters(workspace: ArmResource, endpoints: readonly ArmResource[]): boolean {
    if (isProject(workspace)) return false;
    if (!isDisabled(workspace.properties?.publicNetworkAccess)) return true;
    if (sameValue(workspace.kind, "Hub")) return true;
    return endpoints.some(
      (e) => sameId(parentId(e.id), workspace.id) && !isDisabled(e.properties?.publicNetworkAccess),
    );
  }

  /**
   * Reads the ranges of `workspaces` where they matter and sets them on each (`properties.networkAcls` as ARM
   * answers at the preview version, or none); elsewhere drops whatever the resource carries, so that no verdict
   * rests on ranges read any other way. Shared: a workspace is asked once per run.
   */
  async readFor(workspaces: readonly ArmResource[], endpoints: readonly ArmResource[]): Promise<void> {
    const wanted = workspaces.filter((w) => SelectedIpReader.matters(w, endpoints));
    for (const w of workspaces) if (!wanted.includes(w)) delete w.properties?.networkAcls;
    const fresh = wanted.filter((w) => !this.answers.has(w.id.toLowerCase()));
    const bySubscription = new Map<string, ArmResource[]>();
    for (const w of fresh) {
      const sub = subscriptionOf(w.id)?.toLowerCase() ?? "";
      bySubscription.set(sub, [...(bySubscription.get(sub) ?? []), w]);
    }
    for (const [sub, group] of bySubscription) {
      if (group.length === 1) {
        const only = group[0] as ArmResource;
        this.answers.set(only.id.toLowerCase(), this.get(only.id));
        continue;
      }
      const listed = this.list(subscriptionOf(group[0]?.id ?? "") ?? sub);
      for (const w of group)
        this.answers.set(
          w.id.toLowerCase(),
          listed.then((answers) => answers.get(w.id.toLowerCase()) ?? this.get(w.id)),
        );
    }
    await Promise.all(wanted.map((w) => this.apply(w)));
  }

  private async apply(workspace: ArmResource): Promise<void> {
    const answer = await (this.answers.get(workspace.id.toLowerCase()) as Promise<Answer>);
    const properties = (workspace.properties ??= {});
    delete properties.networkAcls;
    const wrong = "acls" in answer ? wrongIn({ networkAcls: answer.acls }, SELECTED_IPS_SHAPE) : undefined;
    if ("acls" in answer && !wrong) {
      if (answer.acls !== undefined && answer.acls !== null) properties.networkAcls = answer.acls;
      return;
    }
    const failure: ScopeFailure = wrong
      ? {
          ...describeWrong(workspace.id, { ...wrong, path: `properties.${wrong.path}` }),
          property: "networkAcls",
        }
      : { scope: workspace.id, ...(answer as { failure: Omit<ScopeFailure, "scope"> }).failure };
    const recorded = this.collector.failures.some(
      (f) => sameId(f.scope, workspace.id) && f.property === failure.property,
    );
    if (!recorded) this.collector.failures.push(failure);
  }

  private async get(id: string): Promise<Answer> {
    const fetched = await this.collector.fetchAt(id, SELECTED_IPS_API_VERSION);
    if ("status" in fetched && fetched.status === 200) {
      const body = fetched.value as ArmResource | null | undefined;
      return { acls: body?.properties?.networkAcls };
    }
    // Gone since it was listed: nothing is open through it.
    if ("status" in fetched && fetched.status === 404) return { acls: undefined };
    return { failure: this.failureOf(fetched, id) };
  }

  /** The subscription's workspaces at the preview version: their ranges by id (a workspace left out: GET it). */
  private async list(subscriptionId: string): Promise<Map<string, Answer>> {
    const answers = new Map<string, Answer>();
    try {
      const listed = await this.collector.listRaw(
        subscriptionId,
        `/subscriptions/${subscriptionId}/providers/${TYPES.workspace}`,
        SELECTED_IPS_API_VERSION,
      );
      if (!("items" in listed)) return answers;
      for (const item of listed.items as ArmResource[])
        if (typeof item?.id === "string")
          answers.set(item.id.toLowerCase(), { acls: item.properties?.networkAcls });
    } catch {
      // Each workspace is asked by id instead: its own failure, or its answer.
    }
    return answers;
  }

  private failureOf(
    fetched: { status: number; body?: string } | { error: unknown } | { unreadable: string },
    id: string,
  ): Omit<ScopeFailure, "scope"> {
    const base = { scopeType: "resource" as const, property: "networkAcls" };
    if ("unreadable" in fetched)
      return { ...base, operation: SELECTED_IPS_READ, message: fetched.unreadable };
    const { scope: _, ...failure } =
      "error" in fetched
        ? toFailure(fetched.error, id, "resource", SELECTED_IPS_READ)
        : responseFailure(fetched.status, fetched.body, id, "resource", SELECTED_IPS_READ);
    return { ...failure, ...base };
  }
}
