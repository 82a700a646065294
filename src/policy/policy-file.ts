/**
 * The policy file: a profile, per-rule overrides, exemptions and scope. An invalid file is refused
 * with a message that names the field, before the audit starts.
 */
import { z } from "zod";
import { parseResourceId } from "../model/arm-ids.js";
import { formatIssues } from "../common/validation.js";
import { ruleById } from "./registry.js";
import { PROFILES, SEVERITIES, type Policy } from "./types.js";

/** A calendar date that exists: `Date.parse("2027-02-30")` quietly rolls over to March 2nd. */
function realDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(T(\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return false;
  if (m[4] && (Number(m[5]) > 23 || Number(m[6]) > 59 || Number(m[8] ?? 0) > 59)) return false;
  return !Number.isNaN(Date.parse(text));
}

const isoDate = z
  .string()
  .refine(realDate, "must be a real date (YYYY-MM-DD) or an ISO 8601 date-time (YYYY-MM-DDThh:mm:ssZ)");

const ruleId = z.string().refine((id) => ruleById(id) !== undefined, "is not a rule id of the catalog");

/**
 * An exemption's resource: an id, or an id followed by `/*` for everything beneath it. A `*` anywhere else
 * matches nothing (ids are compared as text), and a resource group's id alone names no finding.
 */
const armScope = z
  .string()
  .refine((s) => !(s.endsWith("/*") ? s.slice(0, -2) : s).includes("*"), {
    message: "may hold * only as a trailing /* (everything beneath an id)",
    abort: true,
  })
  .refine(
    (s) => parseResourceId(s.endsWith("/*") ? s.slice(0, -2) : s) !== undefined,
    "must be an ARM resource id (/subscriptions/...), or an id prefix ending in /*",
  )
  .refine((s) => {
    const parsed = s.endsWith("/*") ? undefined : parseResourceId(s);
    return !(parsed && parsed.resourceGroup !== undefined && parsed.names.length === 0);
  }, "names a resource group, which has no finding of its own: end it with /* to exempt everything in it");

const subscriptionId = z.string().regex(/^[0-9a-fA-F-]{36}$/, "must be a subscription id (a GUID)");

const policySchema = z
  .object({
    profile: z.enum(PROFILES).default("strict"),
    rules: z
      .record(
        z.string(),
        z.enum(["off", ...SEVERITIES], { error: `must be "off" or one of ${SEVERITIES.join(", ")}` }),
      )
      .superRefine((rules, ctx) => {
        for (const id of Object.keys(rules)) {
          if (!ruleById(id))
            ctx.addIssue({ code: "custom", path: [id], message: "is not a rule id of the catalog" });
        }
      })
      .default({}),
    exemptions: z
      .array(
        z.strictObject({
          ruleId,
          resource: armScope,
          reason: z.string().trim().min(1, "is required: say why the risk is accepted"),
          expires: isoDate,
          approvedBy: z.string().optional(),
        }),
      )
      .default([]),
    scope: z
      .strictObject({
        managementGroups: z.array(z.string().min(1)).default([]),
        subscriptions: z.array(subscriptionId).default([]),
        excludeSubscriptions: z.array(subscriptionId).default([]),
      })
      .default({ managementGroups: [], subscriptions: [], excludeSubscriptions: [] }),
  })
  .strict();

export const DEFAULT_POLICY: Policy = {
  profile: "strict",
  rules: {},
  exemptions: [],
  scope: { managementGroups: [], subscriptions: [], excludeSubscriptions: [] },
};

export class PolicyError extends Error {
  override name = "PolicyError";
}

export function parsePolicy(json: unknown, source = "policy"): Policy {
  // JSON.parse keeps a "__proto__" key as an own property, which the schema's record would drop unseen:
  // every key is checked against the catalog first.
  const given = (json as { rules?: unknown } | null)?.rules;
  if (given !== null && typeof given === "object" && !Array.isArray(given)) {
    const bad = Object.keys(given).find((id) => !ruleById(id));
    if (bad !== undefined)
      throw new PolicyError(`${source} is invalid: rules.${bad}: is not a rule id of the catalog`);
  }
  const result = policySchema.safeParse(json);
  if (!result.success) throw new PolicyError(`${source} is invalid: ${formatIssues(result.error)}`);
  if (Object.entries(result.data.rules).some(([id, v]) => id.toUpperCase() === "AUDIT001" && v === "off")) {
    throw new PolicyError(
      `${source} is invalid: rules.AUDIT001: cannot be "off": what could not be read is never reported as clear`,
    );
  }
  const rules: Policy["rules"] = {};
  for (const [id, value] of Object.entries(result.data.rules)) rules[id.toUpperCase()] = value;
  return { ...result.data, rules };
}
