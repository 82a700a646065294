/**
 * The Teams digest: one Adaptive Card (schema 1.4, the newest Workflows accepts) per run, at most
 * 20 KB. Everything the tenant controls (resource names, subscription names) is escaped so that it
 * cannot add markdown or links to the card.
 */
import { visible } from "../common/text.js";
import { lastName } from "../model/arm-ids.js";
import type { Finding } from "../findings/finding.js";
import type { Summary } from "../findings/summary.js";
import { SEVERITIES, severityRank } from "../policy/types.js";

/** Teams documents 28 KB; larger posts are refused in practice well before that. */
export const CARD_BUDGET_BYTES = 20_000;

export const DIGEST_MODES = ["changes", "always", "off"] as const;
export type DigestMode = (typeof DIGEST_MODES)[number];

export interface TeamsMessage {
  type: "message";
  attachments: [
    { contentType: "application/vnd.microsoft.card.adaptive"; contentUrl: null; content: AdaptiveCardJson },
  ];
}

export interface AdaptiveCardJson {
  type: "AdaptiveCard";
  version: "1.4";
  $schema: string;
  body: Record<string, unknown>[];
  actions?: Record<string, unknown>[];
  msteams: { width: "Full" };
}

/** Whether a run's digest is posted: `changes` only when something is new or resolved. */
export function shouldPost(mode: DigestMode, summary: Summary): boolean {
  if (mode === "off") return false;
  return mode === "always" || summary.new > 0 || summary.resolved > 0;
}

/**
 * Backslash-escapes what Adaptive Card markdown would read as emphasis, links, code, headings,
 * quotes or tables, list markers at the start of a line, and `://` (so no bare URL becomes a link).
 */
export function escapeMarkdown(text: string): string {
  return visible(text.replace(/[\r\n]+/g, " "))
    .replace(/[\\`*_[\]()~#>|<!{}]/g, "\\$&")
    .replace(
      /^(\s*)([-+]|\d+\.)(\s)/,
      (_m, space: string, marker: string, after: string) => `${space}\\${marker}${after}`,
    )
    .replace(/:\/\//g, ":\\/\\/");
}

/** A link to the resource in the Azure portal; each id segment fully encoded, since names come from the tenant. */
export function portalLink(resourceId: string): string {
  const path = resourceId
    .split("/")
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join("/");
  return `https://portal.azure.com/#resource${path}`;
}

function subjectOf(f: Finding): string {
  if (f.deployment) return `deployment ${escapeMarkdown(`${f.endpoint ?? ""}/${f.deployment}`)}`;
  if (f.endpoint) return `endpoint ${escapeMarkdown(f.endpoint)}`;
  if (f.workspace && /\/workspaces\/[^/]+$/i.test(f.resourceId))
    return `workspace ${escapeMarkdown(f.workspace)}`;
  if (f.account && /\/accounts\/[^/]+$/i.test(f.resourceId)) return `account ${escapeMarkdown(f.account)}`;
  if (/\/workspaces\/[^/]+\/computes\/[^/]+$/i.test(f.resourceId))
    return `compute ${escapeMarkdown(lastName(f.resourceId))}`;
  if (/^\/subscriptions\/[^/]+$/i.test(f.resourceId)) return "subscription";
  return escapeMarkdown(lastName(f.resourceId));
}

const SEVERITY_LABELS: Record<Finding["severity"], string> = {
  critical: "CRITICAL",
  high: "HIGH",
  medium: "MEDIUM",
  low: "LOW",
  informational: "INFO",
};

function findingItem(f: Finding): Record<string, unknown> {
  const subject = subjectOf(f);
  const where = [
    f.workspace && !subject.startsWith("workspace ") ? `workspace ${escapeMarkdown(f.workspace)}` : undefined,
    f.account && !subject.startsWith("account ") ? `account ${escapeMarkdown(f.account)}` : undefined,
    escapeMarkdown(f.subscriptionName),
  ]
    .filter(Boolean)
    .join(" · ");
  const color = severityRank(f.severity) >= severityRank("high") ? "Attention" : "Default";
  return {
    type: "ColumnSet",
    spacing: "Small",
    selectAction: {
      type: "Action.OpenUrl",
      title: "Open in the Azure portal",
      url: portalLink(f.resourceId),
    },
    columns: [
      {
        type: "Column",
        width: "90px",
        items: [
          { type: "TextBlock", text: SEVERITY_LABELS[f.severity], weight: "Bolder", size: "Small", color },
        ],
      },
      {
        type: "Column",
        width: "stretch",
        items: [
          { type: "TextBlock", wrap: true, text: `${f.ruleId} · ${escapeMarkdown(f.title)}` },
          { type: "TextBlock", wrap: true, isSubtle: true, spacing: "None", text: `${subject} — ${where}` },
        ],
      },
    ],
  };
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");

export interface DigestInput {
  summary: Summary;
  findings: readonly Finding[];
  /** Where the security dashboard lives, for a button at the bottom. */
  dashboardUrl?: string;
}

export function buildDigest(input: DigestInput): TeamsMessage {
  const { summary } = input;
  const c = summary.coverage.subscriptions;
  const body: Record<string, unknown>[] = [
    { type: "TextBlock", size: "Large", weight: "Bolder", wrap: true, text: "Azure ML isolation audit" },
    {
      type: "TextBlock",
      isSubtle: true,
      spacing: "None",
      wrap: true,
      text: `Run ${summary.runId} · ${summary.finishedAt.slice(0, 16).replace("T", " ")} UTC · profile ${summary.profile} · ${c.read}/${c.total} subscriptions read`,
    },
  ];
  if (!summary.complete) {
    body.push({
      type: "TextBlock",
      wrap: true,
      color: "Attention",
      weight: "Bolder",
      text: `Coverage incomplete: ${c.failed} of ${c.total} subscriptions and some resources could not be read (AUDIT001). What they hold is unknown, not clear.`,
    });
  }
  body.push({
    type: "FactSet",
    facts: [
      ...SEVERITIES.map((s) => ({
        title: s[0]?.toUpperCase() + s.slice(1),
        value: String(summary.counts.bySeverity[s]),
      })),
      { title: "New", value: String(summary.new) },
      { title: "Resolved", value: String(summary.resolved) },
      { title: "Exempted", value: String(summary.counts.byStatus.exempted) },
    ],
  });

  const fresh = input.findings
    .filter((f) => f.status === "new")
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.ruleId.localeCompare(b.ruleId));
  const message = (items: Record<string, unknown>[]) => messageOf(items, input.dashboardUrl);

  if (fresh.length > 0) {
    body.push({
      type: "TextBlock",
      weight: "Bolder",
      spacing: "Medium",
      wrap: true,
      text: `New findings (${fresh.length})`,
    });
  }
  // Room for the "and N more" line, then as many findings as fit, highest severity first.
  const reserve = 200;
  let size = bytes(message(body)) + reserve;
  let shown = 0;
  for (const f of fresh) {
    const item = findingItem(f);
    const itemSize = bytes(item) + 1;
    if (size + itemSize > CARD_BUDGET_BYTES) break;
    body.push(item);
    size += itemSize;
    shown += 1;
  }
  if (shown < fresh.length) {
    body.push({
      type: "TextBlock",
      isSubtle: true,
      wrap: true,
      text: `…and ${fresh.length - shown} more new findings.`,
    });
  }
  if (summary.resolved > 0) {
    body.push({
      type: "TextBlock",
      wrap: true,
      color: "Good",
      text: `${summary.resolved} findings resolved since the last run.`,
    });
  }
  return message(body);
}

/**
 * What a run that could not commit posts instead of its digest: no change lists (they are not the state
 * yet, and the next run that commits announces them), only that the run is incomplete and why.
 */
export function buildIncompleteNotice(input: {
  summary: Summary;
  reason: string;
  dashboardUrl?: string;
}): TeamsMessage {
  const { summary } = input;
  return messageOf(
    [
      { type: "TextBlock", size: "Large", weight: "Bolder", wrap: true, text: "Azure ML isolation audit" },
      {
        type: "TextBlock",
        isSubtle: true,
        spacing: "None",
        wrap: true,
        text: `Run ${summary.runId} · ${summary.finishedAt.slice(0, 16).replace("T", " ")} UTC`,
      },
      {
        type: "TextBlock",
        wrap: true,
        color: "Attention",
        weight: "Bolder",
        text: `Run incomplete: ${escapeMarkdown(input.reason)}. Its changes will be reported by the next run.`,
      },
    ],
    input.dashboardUrl,
  );
}

/** A card in the Workflows envelope, with the dashboard's button when there is one. */
function messageOf(body: Record<string, unknown>[], dashboardUrl: string | undefined): TeamsMessage {
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          type: "AdaptiveCard",
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          version: "1.4",
          body,
          ...(dashboardUrl
            ? { actions: [{ type: "Action.OpenUrl", title: "Open the dashboard", url: dashboardUrl }] }
            : {}),
          msteams: { width: "Full" },
        },
      },
    ],
  };
}
