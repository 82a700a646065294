import { AzureLogger, setLogLevel } from "@azure/logger";
import type * as AdaptiveCards from "adaptivecards";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findingId, type Finding } from "../../src/findings/finding.js";
import type { Summary } from "../../src/findings/summary.js";
import {
  buildDigest,
  buildIncompleteNotice,
  CARD_BUDGET_BYTES,
  escapeMarkdown,
  shouldPost,
  type TeamsMessage,
} from "../../src/sinks/teams-card.js";
import {
  checkWebhookUrl,
  deliverDigests,
  MAX_KEPT_DIGESTS,
  TeamsWebhook,
  WebhookError,
  type PendingDigest,
  type PendingDigests,
} from "../../src/sinks/teams-webhook.js";
import { localPendingDigests } from "../../src/sinks/local-folder.js";
import { SUB, accountId, workspaceId } from "../helpers/tenant.js";
import { startReceiver } from "../helpers/receiver.js";

// The package's browser entry needs a DOM; its dist bundle loads in Node.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC = require("adaptivecards/dist/adaptivecards.js") as typeof AdaptiveCards;

/** Every problem the Adaptive Cards library finds in a card, parsing it and validating its properties. */
function cardProblems(message: TeamsMessage): string[] {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  card.parse(message.attachments[0].content, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i += 1) problems.push(context.getEventAt(i).message);
  for (const event of card.validateProperties().validationEvents) problems.push(event.message);
  return problems;
}

const FAST = { allowLoopbackHttp: true, retryDelayInMs: 10, maxRetryDelayInMs: 50, maxRetries: 3 };

function summary(overrides: Partial<Summary> = {}): Summary {
  return {
    runId: "20261123T020000Z-abc123",
    startedAt: "2026-11-23T02:00:00.000Z",
    finishedAt: "2026-11-23T02:01:00.000Z",
    source: "arg",
    profile: "strict",
    complete: true,
    coverage: {
      subscriptions: { total: 2, read: 2, failed: 0 },
      workspaces: { total: 1, read: 1, failed: 0 },
      endpoints: { total: 0, read: 0, failed: 0 },
      deployments: { total: 0, read: 0, failed: 0 },
    },
    counts: {
      bySeverity: { critical: 0, high: 1, medium: 0, low: 0, informational: 0 },
      byStatus: { new: 1, open: 0, exempted: 0 },
      byRule: {},
    },
    configurations: {},
    new: 1,
    resolved: 0,
    resolvedFindings: [],
    ...overrides,
  };
}

function finding(name: string, severity: Finding["severity"] = "high"): Finding {
  const resourceId = workspaceId(name);
  return {
    id: findingId("AMLNI003", resourceId),
    ruleId: "AMLNI003",
    slug: "workspace-public-inbound",
    title: "Workspace is reachable from public networks",
    severity,
    status: "new",
    resourceId,
    resourceType: "Microsoft.MachineLearningServices/workspaces",
    subscriptionId: SUB,
    subscriptionName: "Contoso Prod",
    resourceGroup: "rg",
    workspace: name,
    evidence: {},
    message: "m.",
    remediation: "r",
    seed: [],
    firstSeen: "2026-11-23T02:00:00.000Z",
    lastSeen: "2026-11-23T02:00:00.000Z",
    runId: "r",
  };
}

class MemoryPending implements PendingDigests {
  stored: PendingDigest[] = [];
  load() {
    return Promise.resolve({ digests: [...this.stored] });
  }
  save(digests: PendingDigest[]) {
    this.stored = [...digests];
    return Promise.resolve();
  }
}

describe("the digest card", () => {
  it("a run that could not commit sends a valid card that says so, with no change list", () => {
    const message = buildIncompleteNotice({
      summary: summary(),
      reason: "its results could not be saved to Azure Storage",
      dashboardUrl: "https://dash.example/aml",
    });
    expect(message.attachments[0].content.version).toBe("1.4");
    expect(cardProblems(message)).toEqual([]);
    const text = JSON.stringify(message);
    expect(text).toContain(
      "Run incomplete: its results could not be saved to Azure Storage. Its changes will be reported by the next run.",
    );
    expect(text).not.toMatch(/New findings|resolved/);
  });

  it("is a valid Adaptive Card 1.4 with totals, new findings and portal links", () => {
    const message = buildDigest({
      summary: summary(),
      findings: [finding("ml-prod")],
      dashboardUrl: "https://dash.example/aml",
    });
    expect(message.type).toBe("message");
    expect(message.attachments[0].content.version).toBe("1.4");
    expect(cardProblems(message)).toEqual([]);
    const text = JSON.stringify(message);
    expect(text).toContain(`https://portal.azure.com/#resource${workspaceId("ml-prod")}`);
    expect(text).toContain("New findings (1)");
  });

  it("names a Foundry finding by its account, and a rule under it with the account beside it", () => {
    const account = accountId("aif-prod");
    const onAccount: Finding = {
      ...finding("x"),
      ruleId: "AIFNI001",
      resourceId: account,
      resourceType: "Microsoft.CognitiveServices/accounts",
      workspace: undefined,
      account: "aif-prod",
    };
    const onRule: Finding = {
      ...onAccount,
      ruleId: "AIFNO003",
      resourceId: `${account}/managedNetworks/default/outboundRules/any-blob`,
      resourceType: "Microsoft.CognitiveServices/accounts/managedNetworks/outboundRules",
    };
    const message = buildDigest({ summary: summary({ new: 2 }), findings: [onAccount, onRule] });
    expect(cardProblems(message)).toEqual([]);
    const text = JSON.stringify(message);
    expect(text).toContain("account aif-prod");
    expect(text).toContain("any-blob");
    expect(text).toContain("account aif-prod · Contoso Prod");
    expect(text).not.toContain("workspace");
  });

  it("warns when coverage is incomplete", () => {
    const incomplete = summary({
      complete: false,
      coverage: { ...summary().coverage, subscriptions: { total: 2, read: 1, failed: 1 } },
    });
    const message = buildDigest({ summary: incomplete, findings: [] });
    expect(JSON.stringify(message)).toContain("Coverage incomplete: 1 of 2 subscriptions");
    expect(cardProblems(message)).toEqual([]);
  });

  it("stays under 20 KB with 5,000 new findings, highest first, and says how many more", () => {
    const many = Array.from({ length: 5000 }, (_, i) =>
      finding(`ws-${i}`, i % 7 === 0 ? "critical" : "medium"),
    );
    const message = buildDigest({ summary: summary({ new: 5000 }), findings: many });
    const size = Buffer.byteLength(JSON.stringify(message));
    expect(size).toBeLessThanOrEqual(CARD_BUDGET_BYTES);
    expect(cardProblems(message)).toEqual([]);
    const text = JSON.stringify(message);
    expect(text).toMatch(/…and \d+ more new findings\./);
    expect(text).not.toContain('"text":"MEDIUM"'); // the room went to the 715 critical ones first
  });

  it("escapes markdown and links in names the tenant controls", () => {
    const hostile = finding("[click](https://evil.example) **now**");
    const text = JSON.stringify(
      buildDigest({ summary: summary(), findings: [hostile] }).attachments[0].content.body,
    );
    expect(text).not.toContain("[click](");
    expect(text).not.toContain("**now**");
    expect(escapeMarkdown("[a](https://x) *b* _c_ `d`")).toBe(
      "\\[a\\]\\(https:\\/\\/x\\) \\*b\\* \\_c\\_ \\`d\\`",
    );
    expect(escapeMarkdown("- item")).toBe("\\- item");
    // Control characters (an ESC sequence, a C1 CSI) become visible escapes, whose backslash markdown keeps.
    expect(escapeMarkdown("a\u001b[2Jb\u009bc")).toBe("a\\\\u001b\\[2Jb\\\\u009bc");
  });

  it("is posted in 'changes' mode only when something is new or resolved", () => {
    expect(shouldPost("changes", summary({ new: 0, resolved: 0 }))).toBe(false);
    expect(shouldPost("changes", summary({ new: 0, resolved: 2 }))).toBe(true);
    expect(shouldPost("always", summary({ new: 0, resolved: 0 }))).toBe(true);
    expect(shouldPost("off", summary())).toBe(false);
  });
});

describe("the webhook URL", () => {
  it.each([
    ["https://prod-12.westeurope.logic.azure.com/workflows/x?sig=s", true],
    ["https://abc.environment.api.powerplatform.com/powerautomate/x?sig=s", true],
    ["https://contoso.webhook.office.com/webhookb2/x", true],
    ["http://prod-12.westeurope.logic.azure.com/workflows/x?sig=s", false],
    ["https://logic.azure.com.evil.example/x?sig=s", false],
    ["https://evil.example/?u=.logic.azure.com", false],
    ["http://127.0.0.1:8080/x?sig=s", false],
  ])("%s → accepted: %s", (url, accepted) => {
    if (accepted) expect(checkWebhookUrl(url).hostname).toBeTruthy();
    else expect(() => checkWebhookUrl(url)).toThrow(WebhookError);
  });

  it("accepts a loopback http receiver only behind the explicit test setting", () => {
    expect(checkWebhookUrl("http://127.0.0.1:8080/x?sig=s", { allowLoopbackHttp: true }).port).toBe("8080");
  });

  it("never repeats the URL in its refusal", () => {
    try {
      checkWebhookUrl("http://evil.example/x?sig=TOPSECRET");
    } catch (error) {
      expect((error as Error).message).not.toContain("TOPSECRET");
      expect((error as Error).message).not.toContain("evil.example");
    }
  });
});

describe("posting the digest", () => {
  const logged: string[] = [];
  const originalLog = AzureLogger.log.bind(AzureLogger);
  afterEach(() => {
    AzureLogger.log = originalLog;
    setLogLevel("warning");
  });

  it("retries 429 as told by Retry-After, then is accepted (202)", async () => {
    const receiver = await startReceiver([{ status: 429, headers: { "Retry-After": "1" } }, { status: 202 }]);
    try {
      const pending = new MemoryPending();
      const delivery = await deliverDigests(
        new TeamsWebhook(receiver.url, FAST),
        buildDigest({ summary: summary(), findings: [] }),
        pending,
      );
      expect(delivery).toEqual({ delivered: 1, kept: 0 });
      expect(receiver.received).toHaveLength(2);
      const body = JSON.parse(receiver.received[1]?.body ?? "{}") as TeamsMessage;
      expect(body.attachments[0].contentType).toBe("application/vnd.microsoft.card.adaptive");
      expect(cardProblems(body)).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it("keeps a card refused with 500 for the next run, which sends it first; the URL never shows", async () => {
    setLogLevel("verbose");
    AzureLogger.log = (...args: unknown[]) => logged.push(args.map(String).join(" "));
    const pending = new MemoryPending();
    const first = await startReceiver([{ status: 500 }]);
    let error = "";
    try {
      const delivery = await deliverDigests(
        new TeamsWebhook(first.url, FAST),
        buildDigest({ summary: summary(), findings: [] }),
        pending,
      );
      expect(delivery.delivered).toBe(0);
      expect(delivery.kept).toBe(1);
      error = delivery.error ?? "";
      expect(first.received.length).toBe(4); // the first try and three retries
    } finally {
      await first.close();
    }
    expect(pending.stored).toHaveLength(1);

    const second = await startReceiver([{ status: 202 }]);
    try {
      const next = buildDigest({ summary: summary({ runId: "next-run" }), findings: [] });
      const delivery = await deliverDigests(new TeamsWebhook(second.url, FAST), next, pending);
      expect(delivery).toEqual({ delivered: 2, kept: 0 });
      expect(
        second.received.map((r) => (JSON.parse(r.body) as TeamsMessage).attachments[0].content.body[1]?.text),
      ).toEqual([
        expect.stringContaining("20261123T020000Z-abc123") as unknown,
        expect.stringContaining("next-run") as unknown,
      ]);
    } finally {
      await second.close();
    }
    expect(pending.stored).toEqual([]);
    const everything = [error, ...logged].join("\n");
    expect(logged.length).toBeGreaterThan(0); // the pipeline did log, verbosely
    expect(everything).not.toContain("SECRET-SIG");
    expect(error).toBe("the Teams webhook answered 500 after retries");
  });

  it("keeps 7 digests at most while the webhook answers 404, dropping the oldest with a warning, and posts the 7 in order when it is back", async () => {
    const pending = new MemoryPending();
    const gone = await startReceiver([{ status: 404 }]);
    const warnings: string[] = [];
    try {
      for (let run = 1; run <= 9; run += 1) {
        const delivery = await deliverDigests(
          new TeamsWebhook(gone.url, FAST),
          buildDigest({ summary: summary({ runId: `run-${run}` }), findings: [] }),
          pending,
        );
        warnings.push(...(delivery.warnings ?? []));
        expect(delivery.kept).toBe(Math.min(run, MAX_KEPT_DIGESTS));
      }
    } finally {
      await gone.close();
    }
    expect(warnings).toEqual([
      expect.stringMatching(/^1 kept Teams digest was dropped, the oldest: at most 7 are kept/),
      expect.stringMatching(/^1 kept Teams digest was dropped/),
    ]);
    const back = await startReceiver([{ status: 202 }]);
    try {
      const delivery = await deliverDigests(new TeamsWebhook(back.url, FAST), undefined, pending);
      expect(delivery).toEqual({ delivered: 7, kept: 0 });
      const runs = back.received.map((r) => /run-\d+/.exec(r.body)?.[0]);
      expect(runs).toEqual(["run-3", "run-4", "run-5", "run-6", "run-7", "run-8", "run-9"]);
    } finally {
      await back.close();
    }
  });

  it("retries a post that times out, once", async () => {
    const receiver = await startReceiver([{ status: 202, delayMs: 1_000 }, { status: 202 }]);
    try {
      await new TeamsWebhook(receiver.url, { ...FAST, timeoutMs: 200 }).post(
        buildDigest({ summary: summary(), findings: [] }),
      );
      expect(receiver.received).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });

  it("retries a 429 without Retry-After with backoff", async () => {
    const receiver = await startReceiver([{ status: 429 }, { status: 429 }, { status: 202 }]);
    try {
      const delivery = await deliverDigests(
        new TeamsWebhook(receiver.url, FAST),
        buildDigest({ summary: summary(), findings: [] }),
        new MemoryPending(),
      );
      expect(delivery).toEqual({ delivered: 1, kept: 0 });
      expect(receiver.received).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });

  it("a receiver that takes the card and never answers gets it twice, and the next run posts it once more at most", async () => {
    const receiver = await startReceiver([{ status: 202, hang: true }]);
    const pending = new MemoryPending();
    const webhook = new TeamsWebhook(receiver.url, { ...FAST, timeoutMs: 300 });
    try {
      const first = await deliverDigests(webhook, buildDigest({ summary: summary(), findings: [] }), pending);
      expect(first).toMatchObject({
        delivered: 0,
        kept: 1,
        error: "the Teams webhook could not be reached (timed out)",
      });
      expect(receiver.received).toHaveLength(2); // the try and one retry
      expect(pending.stored).toEqual([{ message: expect.anything() as unknown, maybeDelivered: true }]);
      // The next run posts it once, without a retry; timed out again, it is dropped, and its own card waits.
      const next = buildDigest({ summary: summary({ runId: "next-run" }), findings: [] });
      const second = await deliverDigests(webhook, next, pending);
      expect(receiver.received).toHaveLength(3);
      expect(second.warnings?.[0]).toMatch(/timed out again and was dropped/);
      expect(pending.stored).toHaveLength(1);
      expect(JSON.stringify(pending.stored[0]?.message)).toContain("next-run");
    } finally {
      await receiver.close();
    }
  });

  it("sets a corrupt store of kept digests aside and still delivers this run's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pending-"));
    writeFileSync(join(dir, "pending-digests.json"), '[{"type": "message", "attachments": [');
    const receiver = await startReceiver([{ status: 202 }]);
    try {
      const delivery = await deliverDigests(
        new TeamsWebhook(receiver.url, FAST),
        buildDigest({ summary: summary(), findings: [] }),
        localPendingDigests(dir),
      );
      expect(delivery.delivered).toBe(1);
      expect(delivery.warnings?.[0]).toMatch(
        /could not be read and were set aside as .*pending-digests\.json\.corrupt-/,
      );
      expect(receiver.received).toHaveLength(1);
      expect(readdirSync(dir).filter((f) => f.startsWith("pending-digests.json.corrupt-"))).toHaveLength(1);
      // A store written by an earlier version (bare messages) is still read.
      const bare = buildDigest({ summary: summary({ runId: "older" }), findings: [] });
      writeFileSync(join(dir, "pending-digests.json"), JSON.stringify([bare]));
      expect(await localPendingDigests(dir).load()).toEqual({ digests: [{ message: bare }] });
    } finally {
      await receiver.close();
    }
  });

  it("says the webhook could not be reached, without the URL, when nothing listens", async () => {
    const receiver = await startReceiver([{ status: 202 }]);
    await receiver.close();
    const webhook = new TeamsWebhook(receiver.url, { ...FAST, maxRetries: 1 });
    await expect(webhook.post(buildDigest({ summary: summary(), findings: [] }))).rejects.toThrow(
      /^the Teams webhook could not be reached \(\w+\)$/,
    );
  });
});
