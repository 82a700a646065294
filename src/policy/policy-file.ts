/**
 * The policy file: a profile, per-rule overrides, exemptions and scope. An invalid file is refused
 * with a message that names the field, before the audit starts.
 */
import { z } from "zod";
import { parseResourceId } from "../arm-ids.js";
import { formatIssues } from "../validation.js";
import { ruleById } from "./registry.js";
import { PROFILES, SEVERITIES, type Policy } from "./types.js";

const isoDate = z
  .string()
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(s) && !Number.isNaN(Date.parse(s)),
    "must be a date (YYYY-MM-DD) or an ISO 8601 date-time",
  );

const ruleId = z.string().refine((id) => ruleById(id) !== undefined, "is not a rule id of the catalog");

const armScope = z
  .string()
  .refine(
    (s) => parseResourceId(s.endsWith("/*") ? s.slice(0, -2) : s) !== undefined,
    "must be an ARM resource id (/subscriptions/...), or an id prefix ending in /*",
  );

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
