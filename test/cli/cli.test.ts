/**
 * The CLI as a user runs it: a separate process, real files, exit codes.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../../src/findings/finding.js";
import type { Summary } from "../../src/findings/summary.js";
import { RULES } from "../../src/policy/registry.js";
import type { TeamsMessage } from "../../src/sinks/teams-card.js";
import { LOOPBACK_SETTING } from "../../src/sinks/teams-webhook.js";
import { startAzurite, useAzurite } from "../helpers/azurite.js";
import { startReceiver } from "../helpers/receiver.js";
import { findingRows } from "../helpers/state.js";
import { SUB, SUB2, connection, tenant, workspace, workspaceId } from "../helpers/tenant.js";

const root = join(__dirname, "../..");
const cli = join(root, "dist/src/cli/main.js");
const demoTenant = join(root, "examples/demo-tenant.json");
const demoPolicy = join(root, "examples/demo-policy.json");

function audit(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const tmp = () => mkdtempSync(join(tmpdir(), "aml-audit-"));
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, "utf8")) as T;

function writeTenant(dir: string, name: string, json: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof json === "string" ? json : JSON.stringify(json));
  return path;
}

const publicWs = (sub = SUB) =>
  workspace(
    { publicNetworkAccess: "Enabled", managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" } },
    "ws",
    "rg",
    sub,
  );
const privateWs = (sub = SUB) =>
  workspace(
    {
      publicNetworkAccess: "Disabled",
      privateEndpointConnections: [connection(workspaceId("ws", "rg", sub), "Approved")],
      managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" },
    },
    "ws",
    "rg",
    sub,
  );

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm test", which builds first`);
});

describe("the demo tenant", () => {
  it("exits 3 (incomplete), writes the three files and finds every rule", async () => {
    const out = tmp();
    const run = await audit(["--tenant", demoTenant, "--policy", demoPolicy, "--out", out]);
    expect(run.code).toBe(3);
    expect(readdirSync(out).sort()).toEqual([
      "findings.json",
      "history.json",
      "report.html",
      "state.json",
      "summary.json",
    ]);
    const findings = readJson<Finding[]>(join(out, "findings.json"));
    expect(new Set(findings.map((f) => f.ruleId)).size).toBe(RULES.length); // every rule id of the catalog
    for (const f of findings) {
      expect(Object.keys(f)).toEqual(
        expect.arrayContaining([
          "id",
          "ruleId",
          "title",
          "severity",
          "status",
          "resourceId",
          "resourceType",
          "subscriptionId",
          "resourceGroup",
          "evidence",
          "message",
          "remediation",
          "seed",
          "firstSeen",
          "lastSeen",
          "runId",
        ]),
      );
    }
    const summary = readJson<Summary>(join(out, "summary.json"));
    expect(summary.complete).toBe(false);
    expect(summary.coverage.subscriptions).toEqual({ total: 5, read: 3, failed: 2 });
    expect(run.stdout).toContain("WARNING: coverage is incomplete");
    expect(run.stdout).toContain("AUDIT001");
    expect(run.stderr).toBe(""); // no progress line when stderr is not a terminal
  });

  it("exits 1 with --fail-on high, before the incomplete coverage", async () => {
    const run = await audit([
      "--tenant",
      demoTenant,
      "--policy",
      demoPolicy,
      "--out",
      tmp(),
      "--fail-on",
      "high",
    ]);
    expect(run.code).toBe(1);
  });

  it("prints the findings as JSON with --format json", async () => {
    const run = await audit(["--tenant", demoTenant, "--out", tmp(), "--format", "json", "--source", "arm"]);
    expect(run.code).toBe(3);
    expect((JSON.parse(run.stdout) as Finding[]).length).toBeGreaterThan(10);
  });
});

describe("scope", () => {
  it("audits only the subscriptions under --management-group", async () => {
    const out = tmp();
    const run = await audit(["--tenant", demoTenant, "--management-group", "contoso-ml", "--out", out]);
    expect(run.code).toBe(0); // the 403 subscription is outside this management group
    const summary = readJson<Summary>(join(out, "summary.json"));
    expect(summary.coverage.subscriptions).toEqual({ total: 2, read: 2, failed: 0 });
  });

  it.each(["does-not-exist", "contoso-empty"])(
    "a management group that selects no subscription (%s) is AUDIT001 and exit 3, never a clean result",
    async (group) => {
      const out = tmp();
      const run = await audit(["--tenant", demoTenant, "--management-group", group, "--out", out]);
      expect(run.code).toBe(3);
      const findings = readJson<Finding[]>(join(out, "findings.json"));
      expect(findings.map((f) => `${f.ruleId} ${f.resourceId}`)).toEqual([
        `AUDIT001 /providers/Microsoft.Management/managementGroups/${group}`,
      ]);
      expect(run.stdout).toMatch(/WARNING: coverage is incomplete/);
      expect(run.stdout).not.toMatch(/No findings\./);
    },
  );

  it("reports a listed subscription the identity cannot see, instead of skipping it", async () => {
    const out = tmp();
    const unseen = "44444444-4444-4444-8444-444444444444";
    const run = await audit([
      "--tenant",
      demoTenant,
      "--subscription",
      unseen,
      "--out",
      out,
      "--format",
      "json",
    ]);
    expect(run.code).toBe(3);
    const findings = JSON.parse(run.stdout) as Finding[];
    expect(findings.map((f) => [f.ruleId, f.resourceId])).toEqual([["AUDIT001", `/subscriptions/${unseen}`]]);
    expect(findings[0]?.message).toMatch(/could not be audited: .*404 SubscriptionNotFound/);
    expect(JSON.stringify(findings[0]?.evidence)).toMatch(/not visible to the auditor's identity/);
  });
});

describe("tenant text on a terminal", () => {
  it("shows control characters in names as visible escapes, never as terminal sequences", async () => {
    const dir = tmp();
    const hostile = "Prod\u001b[2J\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\u009b31m";
    const t = tenant([publicWs()]);
    t.subscriptions = [{ subscriptionId: SUB, displayName: hostile }];
    const run = await audit(["--tenant", writeTenant(dir, "t.json", t), "--out", join(dir, "out")]);
    expect(run.code).toBe(0);
    // eslint-disable-next-line no-control-regex -- no control character may reach the terminal
    expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(run.stdout).toContain("Prod\\u001b[2J\\u001b]8;;https://evil.example\\u0007click");
  });
});

describe("exit codes on a complete tenant", () => {
  it("exits 0 when nothing is at or above --fail-on, 1 when something is", async () => {
    const dir = tmp();
    const clean = writeTenant(dir, "clean.json", tenant([privateWs()]));
    expect((await audit(["--tenant", clean, "--out", join(dir, "a"), "--fail-on", "low"])).code).toBe(0);
    const open = writeTenant(dir, "open.json", tenant([publicWs()]));
    expect((await audit(["--tenant", open, "--out", join(dir, "b")])).code).toBe(0);
    expect((await audit(["--tenant", open, "--out", join(dir, "c"), "--fail-on", "high"])).code).toBe(1);
  });
});

describe("reconcile across runs in one folder", () => {
  it("goes new → open → resolved as the resource is fixed", async () => {
    const dir = tmp();
    const out = join(dir, "out");
    const before = writeTenant(dir, "before.json", tenant([publicWs()]));
    const after = writeTenant(dir, "after.json", tenant([privateWs()]));

    await audit(["--tenant", before, "--out", out]);
    const first = readJson<Finding[]>(join(out, "findings.json"));
    expect(first.map((f) => f.status)).toEqual(["new", "new"]); // AMLNI003, AMLNI005

    await audit(["--tenant", before, "--out", out]);
    const second = readJson<Finding[]>(join(out, "findings.json"));
    expect(second.map((f) => f.status)).toEqual(["open", "open"]);
    expect(second.map((f) => f.firstSeen)).toEqual(first.map((f) => f.firstSeen));
    expect(readJson<Summary>(join(out, "summary.json")).new).toBe(0);

    expect((await audit(["--tenant", after, "--out", out])).code).toBe(0);
    expect(readJson<Finding[]>(join(out, "findings.json"))).toEqual([]);
    const summary = readJson<Summary>(join(out, "summary.json"));
    expect(summary.resolved).toBe(2);
    expect(summary.resolvedFindings.map((f) => f.ruleId).sort()).toEqual(["AMLNI003", "AMLNI005"]);
  });

  it("keeps the findings of a subscription that answers 403 open, never resolved", async () => {
    const dir = tmp();
    const out = join(dir, "out");
    const both = [publicWs(SUB), publicWs(SUB2)];
    const readable = writeTenant(dir, "readable.json", tenant(both, [], [SUB, SUB2]));
    const denied = writeTenant(
      dir,
      "denied.json",
      tenant(both, [{ path: `/subscriptions/${SUB2}`, status: 403 }], [SUB, SUB2]),
    );

    await audit(["--tenant", readable, "--out", out]);
    const run = await audit(["--tenant", denied, "--out", out]);
    expect(run.code).toBe(3);
    const findings = readJson<Finding[]>(join(out, "findings.json"));
    const kept = findings.filter((f) => f.subscriptionId === SUB2 && f.ruleId !== "AUDIT001");
    expect(kept.map((f) => [f.ruleId, f.status, f.stale])).toEqual([
      ["AMLNI003", "open", true],
      ["AMLNI005", "open", true],
    ]);
    expect(readJson<Summary>(join(out, "summary.json")).resolved).toBe(0);
  });

  it.each([
    [
      "the subscription's Foundry accounts",
      `/subscriptions/${SUB}/providers/Microsoft.CognitiveServices/accounts`,
    ],
    [
      "a private endpoint's DNS zone groups",
      `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/pe-approved/privateDnsZoneGroups`,
    ],
  ])(
    "a list of %s that failed once is AUDIT001 in its subscription, resolved by the next clean run",
    async (_what, scope) => {
      const dir = tmp();
      const out = join(dir, "out");
      const failing = writeTenant(dir, "failing.json", tenant([privateWs()], [{ path: scope, status: 500 }]));
      const clean = writeTenant(dir, "clean.json", tenant([privateWs()]));
      expect((await audit(["--tenant", failing, "--source", "arm", "--out", out])).code).toBe(3);
      const audits = readJson<Finding[]>(join(out, "findings.json")).filter((f) => f.ruleId === "AUDIT001");
      expect(audits.map((f) => [f.resourceId, f.subscriptionId])).toEqual([[scope, SUB]]);
      expect((await audit(["--tenant", clean, "--source", "arm", "--out", out])).code).toBe(0);
      expect(readJson<Finding[]>(join(out, "findings.json")).filter((f) => f.ruleId === "AUDIT001")).toEqual(
        [],
      );
      const summary = readJson<Summary>(join(out, "summary.json"));
      expect(summary.resolvedFindings.map((f) => f.ruleId)).toEqual(["AUDIT001"]);
    },
  );
});

describe("bad input exits 2 with a message naming the problem, and writes nothing", () => {
  it.each([
    [["--format", "xml"], /--format must be one of table, json, csv, ocsf, html \(got "xml"\)/],
    [["--fail-on", "severe"], /--fail-on must be one of critical/],
    [["--source", "sql"], /--source must be one of arg, arm/],
    [["--subscription", "prod"], /--subscription must be a subscription id/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["--arm-endpoint", "http://management.azure.com"], /must be an https URL/],
    [["--tenant", "t.json", "--arm-endpoint", "https://x"], /cannot be combined/],
    [["--dashboard-url", "https://dash.example"], /--dashboard-url goes with --notify/],
    [["--lock-wait", "60"], /--lock-wait goes with --storage/],
    [
      ["--storage", "UseDevelopmentStorage=true", "--lock-wait", "1m"],
      /--lock-wait must be a number of seconds \(got "1m"\)/,
    ],
    [["--notify", "--dashboard-url", "javascript:alert(1)"], /--dashboard-url must be an https URL/],
    [["--logs-endpoint", "https://dcr.westeurope-1.ingest.monitor.azure.com"], /go together/],
    [["--logs-rule-id", "dcr-0123456789abcdef0123456789abcdef"], /go together/],
    [
      [
        "--logs-endpoint",
        "http://x.ingest.monitor.azure.com",
        "--logs-rule-id",
        "dcr-0123456789abcdef0123456789abcdef",
      ],
      /--logs-endpoint must be an https URL/,
    ],
    [
      ["--logs-endpoint", "https://x.ingest.monitor.azure.com", "--logs-rule-id", "my-rule"],
      /--logs-rule-id must be a data collection rule's immutable id/,
    ],
    [["--logs-endpoint", "local"], /--logs-endpoint local goes with --tenant/],
    [
      [
        "--notify",
        "--teams-webhook",
        "https://user:pass@prod-01.westeurope.logic.azure.com/workflows/x?sig=S",
      ],
      /must not carry a user name or password/,
    ],
    [
      ["--notify", "--teams-webhook", "https://:pass@prod-01.westeurope.logic.azure.com/workflows/x?sig=S"],
      /must not carry a user name or password/,
    ],
    [
      ["--source", "arg", "--source", "arm"],
      /--source is given twice with different values \("arg", "arm"\): give it once/,
    ],
    [["--format", "json", "--format", "json", "--source", "x"], /--source must be one of arg, arm/], // the same value twice is fine
    [
      [
        "--storage",
        "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=not base64!;EndpointSuffix=core.windows.net",
      ],
      /^error: --storage has an AccountKey that is not base64/m,
    ],
    [
      ["--format", `x${"\u001b[31m".repeat(3)}${"y".repeat(500)}`],
      /\(got "x\\u001b\[31m\\u001b\[31m.*…\(516 characters\)"\)/,
    ],
    [["--subscription", "\u001b]8;;https://evil\u0007click"], /got "\\u001b\]8;;https:\/\/evil\\u0007click"/],
  ])("%j", async (args, message) => {
    const out = join(tmp(), "out");
    const run = await audit([...args, "--out", out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    [
      "--storage",
      "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0S2V5T25lPT09PT09PT09PT09PT09PT09PT09PT0=;EndpointSuffix=core.windows.net",
      "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0S2V5VHdvPT09PT09PT09PT09PT09PT09PT09PT0=;EndpointSuffix=core.windows.net",
      ["c2VjcmV0", "AccountKey"],
    ],
    [
      "--storage",
      "BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2024-01-01&sig=AAAAsecretsignature1",
      "BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2024-01-01&sig=BBBBsecretsignature2",
      ["secretsignature", "sig="],
    ],
    [
      "--teams-webhook",
      "https://prod-01.westeurope.logic.azure.com/workflows/x?sig=AAAAwebhooksecret1",
      "https://prod-01.westeurope.logic.azure.com/workflows/x?sig=BBBBwebhooksecret2",
      ["webhooksecret", "sig=", "logic.azure.com"],
    ],
  ])("%s given twice names the flag, never its values", async (flag, first, second, secrets) => {
    const out = join(tmp(), "out");
    const run = await audit(["--notify", flag, first, flag, second, "--out", out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(`${flag} is given twice with different values \\(not shown: they are secrets\\)`),
    );
    for (const part of secrets) expect(run.stderr).not.toContain(part);
    expect(existsSync(out)).toBe(false);
  });

  const files: [string, string, unknown, RegExp][] = [
    ["a policy that is not JSON", "policy", "{ profile: strict", /policy file .* is not JSON/],
    [
      "a resource whose name and type hold terminal escapes (ESC, BEL, an OSC 8 link)",
      "tenant",
      {
        subscriptions: [{ subscriptionId: SUB, displayName: "P" }],
        resources: [
          {
            id: workspaceId(),
            name: "\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007",
            type: "Microsoft.MachineLearningServices/workspaces\u001b[2J",
            properties: {},
          },
        ],
      },
      /type: "Microsoft\.MachineLearningServices\/workspaces\\u001b\[2J".*name: "\\u001b\]8;;https:\/\/evil\.example\\u0007click/,
    ],
    [
      "a policy with a bad field",
      "policy",
      {
        profile: "strict",
        exemptions: [{ ruleId: "AMLNI003", resource: workspaceId(), expires: "2027-01-01" }],
      },
      /exemptions\[0\]\.reason/,
    ],
    [
      "an exemption that expires on a day that does not exist",
      "policy",
      { exemptions: [{ ruleId: "AMLNI003", resource: workspaceId(), reason: "r", expires: "2027-02-30" }] },
      /exemptions\[0\]\.expires: must be a real date/,
    ],
    [
      "an exemption that expires in month 13",
      "policy",
      { exemptions: [{ ruleId: "AMLNI003", resource: workspaceId(), reason: "r", expires: "2026-13-01" }] },
      /exemptions\[0\]\.expires: must be a real date/,
    ],
    [
      "an exemption that expires at 25 o'clock",
      "policy",
      {
        exemptions: [
          { ruleId: "AMLNI003", resource: workspaceId(), reason: "r", expires: "2027-04-30T25:00:00Z" },
        ],
      },
      /exemptions\[0\]\.expires: must be a real date/,
    ],
    [
      "a rule named __proto__",
      "policy",
      '{"rules":{"__proto__":"off"}}',
      /rules\.__proto__: is not a rule id/,
    ],
    [
      "a rule named constructor",
      "policy",
      '{"rules":{"constructor":"off"}}',
      /rules\.constructor: is not a rule id/,
    ],
    [
      "a fault with a status the emulator does not send",
      "tenant",
      { subscriptions: [{ subscriptionId: SUB, displayName: "P" }], faults: [{ path: "/x", status: 999 }] },
      /faults\[0\]\.status: must be one of 400, 401, 403, 404, 429, 500, 503/,
    ],
    [
      "a fault whose status is a string",
      "tenant",
      { subscriptions: [{ subscriptionId: SUB, displayName: "P" }], faults: [{ path: "/x", status: "403" }] },
      /faults\[0\]\.status: must be one of 400, 401, 403/,
    ],
    [
      "a resource nested 100,000 levels deep",
      "tenant",
      (() => {
        let deep = "{}";
        for (let i = 0; i < 100_000; i += 1) deep = `{"a":${deep}}`;
        return `{"subscriptions":[{"subscriptionId":"${SUB}","displayName":"P"}],"resources":[{"id":"${workspaceId()}","name":"ws","type":"Microsoft.MachineLearningServices/workspaces","properties":${deep}}]}`;
      })(),
      /resources\[0\]\.properties\.a\.a.*: nested deeper than 64 levels/,
    ],
    ["a tenant file that is not JSON", "tenant", "not json", /tenant file .* is not JSON/],
    [
      "an exemption whose resource has a * that is not a trailing /*",
      "policy",
      {
        exemptions: [
          {
            ruleId: "AMLNI003",
            resource: `/subscriptions/${SUB}/resourceGroups/rg-*`,
            reason: "r",
            expires: "2027-01-01",
          },
        ],
      },
      /exemptions\[0\]\.resource: may hold \* only as a trailing \/\*/,
    ],
    [
      "an exemption that names a resource group without /*",
      "policy",
      {
        exemptions: [
          {
            ruleId: "AMLNI003",
            resource: `/subscriptions/${SUB}/resourceGroups/rg`,
            reason: "r",
            expires: "2027-01-01",
          },
        ],
      },
      /exemptions\[0\]\.resource: names a resource group, which has no finding of its own: end it with \/\*/,
    ],
    [
      "a tenant file that lists a subscription twice",
      "tenant",
      {
        subscriptions: [
          { subscriptionId: SUB, displayName: "P" },
          { subscriptionId: SUB.toUpperCase(), displayName: "P again" },
        ],
      },
      /subscriptions\[1\]\.subscriptionId: .* is listed twice/,
    ],
    [
      "a resource named ..",
      "tenant",
      {
        subscriptions: [{ subscriptionId: SUB, displayName: "P" }],
        resources: [
          { id: workspaceId(".."), name: "..", type: "Microsoft.MachineLearningServices/workspaces" },
        ],
      },
      /resources\[0\]\.id: .* has a \. or \.\. segment/,
    ],
    [
      "a resource id that does not survive a URL path",
      "tenant",
      {
        subscriptions: [{ subscriptionId: SUB, displayName: "P" }],
        resources: [
          { id: workspaceId("ws?x=1"), name: "ws?x=1", type: "Microsoft.MachineLearningServices/workspaces" },
        ],
      },
      /resources\[0\]\.id: .* holds a character that does not survive a URL path/,
    ],
    ["a tenant file of the wrong shape", "tenant", { subscriptions: "all" }, /subscriptions: /],
    [
      "a resource without an id",
      "tenant",
      {
        subscriptions: [{ subscriptionId: SUB, displayName: "P" }],
        resources: [{ name: "ws", type: "Microsoft.MachineLearningServices/workspaces" }],
      },
      /resources\[0\]\.id: is required/,
    ],
  ];
  it.each(files)("%s", async (_name, kind, content, message) => {
    const dir = tmp();
    const out = join(dir, "out");
    const path = writeTenant(dir, "input.json", content);
    const args = kind === "policy" ? ["--tenant", demoTenant, "--policy", path] : ["--tenant", path];
    const run = await audit([...args, "--out", out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    // Nothing from the file reaches the terminal as a control character.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(run.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(existsSync(out)).toBe(false);
  });

  it("takes a policy and a tenant file that start with a UTF-8 byte-order mark (Windows editors write one)", async () => {
    const dir = tmp();
    const tenantFile = join(dir, "tenant.json");
    const policyFile = join(dir, "policy.json");
    writeFileSync(tenantFile, `\uFEFF${readFileSync(demoTenant, "utf8")}`);
    writeFileSync(policyFile, `\uFEFF${JSON.stringify({ profile: "baseline" })}`);
    const run = await audit(["--tenant", tenantFile, "--policy", policyFile, "--out", join(dir, "out")]);
    expect(run.code).toBe(3); // the demo tenant's coverage is incomplete by design
    expect(readJson<Summary>(join(dir, "out", "summary.json")).profile).toBe("baseline");
  });

  it.each([
    ["/proc/self", /--out \/proc\/self is not writable/],
    ["/dev/null", /--out \/dev\/null is not a directory/],
    [join(root, "package.json"), /is not a directory/],
    [join(root, "package.json", "out"), /is not a directory \(a file is in its path\)/],
  ])("--out %s is refused before anything is read or written", async (out, message) => {
    const receiver = await startReceiver([{ status: 202 }]);
    try {
      const run = await audit(
        ["--tenant", demoTenant, "--out", out, "--notify", "--teams-webhook", receiver.url],
        { [LOOPBACK_SETTING]: "true" },
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(receiver.received).toHaveLength(0);
      expect(run.stdout).toBe("");
    } finally {
      await receiver.close();
    }
  });

  it("a sign-in that cannot reach Microsoft Entra ID says so (exit 2), never a crash, and the secret is not echoed", async () => {
    const run = await audit(["--arm-endpoint", "https://127.0.0.1:9", "--out", join(tmp(), "out")], {
      AZURE_TENANT_ID: "11111111-1111-4111-8111-111111111111",
      AZURE_CLIENT_ID: "22222222-2222-4222-8222-222222222222",
      AZURE_CLIENT_SECRET: "not-the-real-secret-123",
      // A closed port on this machine: the sign-in fails without leaving it, as with no network.
      AZURE_AUTHORITY_HOST: "https://127.0.0.1:9",
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /cannot sign in to Azure: Microsoft Entra ID could not be reached \((ECONNREFUSED|endpoints_resolution_error)\)\. Check the network, DNS and any proxy/,
    );
    expect(run.stderr).not.toMatch(/the credential was refused/);
    expect(run.stderr + run.stdout).not.toContain("not-the-real-secret-123");
  });

  it.each([
    ["not JSON", "{", /is not a valid audit state/],
    ["another version", { version: 2, findings: [] }, /version: must be 1/],
    ["a finding without its id", { version: 1, findings: [{ ruleId: "AMLNI003" }] }, /findings\[0\]\.id/],
  ])("a state file in --out that is %s", async (_name, content, message) => {
    const out = tmp();
    writeFileSync(join(out, "state.json"), typeof content === "string" ? content : JSON.stringify(content));
    const run = await audit(["--tenant", demoTenant, "--out", out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/move it away to start a fresh history/);
    expect(existsSync(join(out, "findings.json"))).toBe(false);
  });

  it("a missing tenant file", async () => {
    const run = await audit(["--tenant", join(tmp(), "nowhere.json")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read tenant file .*nowhere\.json: ENOENT/);
  });
});

describe("--storage and --notify", () => {
  const azurite = useAzurite();

  it("writes to Azure Storage, reconciles against it from any folder, and posts the digest", async () => {
    const receiver = await startReceiver([{ status: 202 }]);
    try {
      const env = {
        TEAMS_WEBHOOK_URL: receiver.url,
        [LOOPBACK_SETTING]: "true",
        AUDIT_DASHBOARD_URL: "https://dashboard.contoso.example/aml",
      };
      const args = [
        "--tenant",
        demoTenant,
        "--policy",
        demoPolicy,
        "--storage",
        azurite().connectionString,
        "--notify",
      ];
      const first = await audit([...args, "--out", tmp()], env);
      expect(first.code).toBe(3);
      expect(receiver.received).toHaveLength(1);
      const card = JSON.parse(receiver.received[0]?.body ?? "{}") as TeamsMessage;
      expect(card.attachments[0].content.version).toBe("1.4");
      expect(card.attachments[0].content.actions).toEqual([
        { type: "Action.OpenUrl", title: "Open the dashboard", url: "https://dashboard.contoso.example/aml" },
      ]);

      // A second run elsewhere still reconciles: the state is the table's. Nothing changed, so no digest.
      const out = tmp();
      const second = await audit([...args, "--out", out], env);
      expect(second.code).toBe(3);
      const summary = readJson<Summary>(join(out, "summary.json"));
      expect(summary.new).toBe(0);
      expect(summary.counts.byStatus.open).toBe(57); // the demo's 58 findings but its one exemption
      expect(receiver.received).toHaveLength(1);
      for (const run of [first, second]) {
        expect(run.stdout + run.stderr).not.toContain("SECRET-SIG");
        expect(run.stdout + run.stderr).not.toContain(azurite().connectionString.slice(0, 60));
      }
    } finally {
      await receiver.close();
    }
  });

  it("keeps an undelivered digest in the folder, warns without the URL, and sends it next time", async () => {
    // 503 with Retry-After: 0 takes the same path as a lasting outage, without the production backoff's waits.
    const failing = await startReceiver([{ status: 503, headers: { "Retry-After": "0" } }]);
    const out = tmp();
    const env = { TEAMS_WEBHOOK_URL: failing.url, [LOOPBACK_SETTING]: "true" };
    const tenantFile = writeTenant(tmp(), "t.json", tenant([publicWs()]));
    try {
      const run = await audit(["--tenant", tenantFile, "--notify", "--out", out], env);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(
        /warning: Teams digest not delivered \(the Teams webhook answered 503 after retries\); 1 kept/,
      );
      expect(failing.received).toHaveLength(5); // the first try and the production policy's 4 retries
      expect(run.stdout + run.stderr).not.toContain("SECRET-SIG");
      expect(existsSync(join(out, "pending-digests.json"))).toBe(true);
    } finally {
      await failing.close();
    }
    const working = await startReceiver([{ status: 202 }]);
    try {
      const env2 = { TEAMS_WEBHOOK_URL: working.url, [LOOPBACK_SETTING]: "true" };
      await audit(["--tenant", tenantFile, "--notify", "--out", out], env2);
      expect(working.received).toHaveLength(1); // the kept digest; this run found nothing new
      expect(existsSync(join(out, "pending-digests.json"))).toBe(false);
    } finally {
      await working.close();
    }
  });

  it.each([
    [[], {}, /--notify needs the webhook in TEAMS_WEBHOOK_URL/],
    [
      [],
      { TEAMS_WEBHOOK_URL: "https://evil.example/hook?sig=SECRET-SIG" },
      /must point at a Teams Workflows host/,
    ],
    [[], { TEAMS_WEBHOOK_URL: "http://127.0.0.1:9/hook?sig=SECRET-SIG" }, /must be https/],
    [
      [],
      {
        TEAMS_WEBHOOK_URL: "https://prod-01.westeurope.logic.azure.com/workflows/1?sig=SECRET-SIG",
        AUDIT_DASHBOARD_URL: "http://evil.example/dash?token=SECRET-SIG",
      },
      /AUDIT_DASHBOARD_URL must be an https URL/,
    ],
  ])(
    "refuses a webhook or dashboard link it must not use (%#), without repeating it",
    async (args, env, message) => {
      const out = join(tmp(), "out");
      const run = await audit(["--tenant", demoTenant, "--notify", ...args, "--out", out], {
        TEAMS_WEBHOOK_URL: "",
        ...env,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain("SECRET-SIG");
      expect(run.stderr).not.toContain("evil.example");
      expect(existsSync(out)).toBe(false);
    },
  );

  it.each([
    ["AccountKey=SECRET-KEY;nonsense", "SECRET-KEY", /--storage has an AccountKey that is not base64/],
    ["nonsense;AccountKey=U0VDUkVU", "U0VDUkVU", /--storage is not a valid storage connection string/],
  ])("refuses a malformed connection string without echoing it (%#)", async (connection, secret, message) => {
    const run = await audit(["--tenant", demoTenant, "--storage", connection, "--out", join(tmp(), "o")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain(secret);
  });
});

describe("Azure Storage that cannot be reached", () => {
  it("still audits into --out, writes nothing to storage, announces no change, and exits 3", async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const receiver = await startReceiver([{ status: 202 }]);
    const out = tmp();
    try {
      const run = await audit(
        [
          "--tenant",
          demoTenant,
          "--storage",
          `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=U0VDUkVULUtFWQ==;BlobEndpoint=http://127.0.0.1:${closed}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${closed}/devstoreaccount1;`,
          "--notify",
          "--out",
          out,
        ],
        { TEAMS_WEBHOOK_URL: receiver.url, [LOOPBACK_SETTING]: "true" },
      );
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(
        /warning: Azure Storage: findings table: the state could not be read \(.*ECONNREFUSED\); nothing was written/,
      );
      expect(run.stdout + run.stderr).not.toContain("U0VDUkVULUtFWQ==");
      expect(readJson<Finding[]>(join(out, "findings.json")).length).toBeGreaterThan(0);
      const summary = readJson<Summary>(join(out, "summary.json"));
      expect(summary.complete).toBe(false);
      expect(summary.storageErrors).toHaveLength(1);
      // Only that the run is incomplete: without the stored state it cannot tell new findings from old.
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]?.body).toMatch(/Run incomplete: Azure Storage could not be read\./);
      expect(receiver.received[0]?.body).not.toMatch(/New findings/);
    } finally {
      await receiver.close();
    }
  });
});

describe("Azure Storage that stops answering mid-run", () => {
  // Two outages: one that starts at the run's first write of the findings table (the writes stop at the first
  // failure past the SDK's retries), and one that starts once the run has read its state and lasts longer
  // than the state lock's lease (the lock may have lapsed: nothing is written).
  it.each([
    ["at its first write of the findings table", /POST RequestURL=\S*\$batch/],
    ["once it has read its state, for longer than the lock's lease", /GET RequestURL=\S*\/findings\(\)/],
  ] as const)(
    "stops %s: announces nothing, exits 3, and the next run reports every change",
    async (when, outageAfter) => {
      const location = mkdtempSync(join(tmpdir(), "azurite-"));
      const debugLog = join(location, "debug.log");
      let azurite = await startAzurite({ location, debugLog });
      const ports = azurite.ports;
      const receiver = await startReceiver([{ status: 202 }]);
      const dir = tmp();
      // 1,000 public workspaces without a private endpoint: 2,000 findings, 20 transactions of the findings table.
      // Spread over ten subscriptions, as real estates are: a thousand compute lists in one would wait on ARM's
      // read throttle (250, then 25 a second) for half a minute.
      const subs = Array.from(
        { length: 10 },
        (_, i) => `${String(i).padStart(8, "0")}-1111-4111-8111-111111111111`,
      );
      const workspaces = Array.from({ length: 1000 }, (_, i) =>
        workspace(
          { publicNetworkAccess: "Enabled", managedNetwork: { isolationMode: "Disabled" } },
          `ws${i}`,
          "rg",
          subs[i % 10],
        ),
      );
      const slow = tenant(
        workspaces,
        // Slow enough that the inventory outlasts the state lock's lease (15 s) after the state is read.
        subs.map((sub) => ({ path: `/subscriptions/${sub}/providers`, latencyMs: 8000 })),
        subs,
      );
      const env = { TEAMS_WEBHOOK_URL: receiver.url, [LOOPBACK_SETTING]: "true" };
      const args = (file: string, out: string) => [
        "--tenant",
        file,
        "--storage",
        azurite.connectionString,
        "--notify",
        "--out",
        out,
      ];
      try {
        const out = join(dir, "out");
        const running = audit(args(writeTenant(dir, "slow.json", slow), out), env);
        let log = "";
        for (let i = 0; i < 1200 && !outageAfter.test(log); i += 1) {
          await new Promise((r) => setTimeout(r, 25));
          log = existsSync(debugLog) ? readFileSync(debugLog, "utf8") : "";
        }
        expect(log).toMatch(outageAfter);
        await azurite.stop();
        const outageAt = performance.now();
        const run = await running;
        const secondsToExit = (performance.now() - outageAt) / 1000;
        console.log(`storage outage ${when}: exit after ${secondsToExit.toFixed(1)} s`);
        expect(run.code).toBe(3);
        // The storage SDKs try each request 4 times with 0.8/1.6/3.2 s waits: ~6 s for the one write that
        // finds the outage, plus the audit's own 1.5 s reads. Generous: no 20 transactions retried one by one.
        expect(secondsToExit).toBeLessThan(45);
        const warnings = run.stderr.split("\n").filter((l) => l.startsWith("warning: Azure Storage"));
        expect(warnings.length).toBeLessThanOrEqual(3);
        if (when.startsWith("at its first write")) {
          expect(run.stderr).toMatch(
            /\d+ rows in \d+ transactions not attempted \(Azure Storage is unavailable/,
          );
        } else {
          expect(run.stderr).toMatch(
            /warning: Azure Storage: findings table: the state lock was lost while the run went on \(not renewed for \d+ s/,
          );
        }
        expect(run.stdout).toMatch(/WARNING: Azure Storage is behind this run/);
        expect(run.stdout).not.toMatch(/coverage is incomplete/);
        // The run could not commit: a short card says so, and no change is announced.
        expect(receiver.received).toHaveLength(1);
        expect(receiver.received[0]?.body).toMatch(
          when.startsWith("at its first write")
            ? /Run incomplete: its results could not be saved/
            : /Run incomplete: it lost the state lock on Azure Storage/,
        );
        expect(receiver.received[0]?.body).not.toMatch(/New findings/);
        expect(readJson<Finding[]>(join(out, "findings.json"))).toHaveLength(2000);

        azurite = await startAzurite({ location, ports });
        const next = await audit(
          args(writeTenant(dir, "fast.json", tenant(workspaces, [], subs)), join(dir, "next")),
          env,
        );
        expect(next.code).toBe(0);
        // The half-written run did not commit: the next one finds all 2,000 new, and announces them once.
        expect(readJson<Summary>(join(dir, "next", "summary.json")).new).toBe(2000);
        expect(receiver.received).toHaveLength(2);
        expect(receiver.received[1]?.body).toMatch(/New findings \(2000\)/);
        const open = [...(await findingRows(azurite.connectionString)).values()].filter(
          (row) => row.status === "open",
        ).length;
        expect(open).toBe(2000);
      } finally {
        await receiver.close();
        await azurite.stop();
      }
    },
    120_000,
  );
});

describe("Azure Storage that accepts connections and never answers", () => {
  // STORAGE_DEADLINES: 10 s a try, three tries at most for blobs, one timed-out try for tables; the first call
  // that fails so stops the run's later writes. Documented as "about 35 s after storage goes silent".
  const BOUND_SECONDS = 35;

  it.each(["before the run", "after the run read its state"])(
    "frozen %s: the run ends within the documented bound, --out written, exit 3, no change announced",
    async (when) => {
      const location = mkdtempSync(join(tmpdir(), "azurite-"));
      const debugLog = join(location, "debug.log");
      const azurite = await startAzurite({ location, debugLog });
      const receiver = await startReceiver([{ status: 202 }]);
      const dir = tmp();
      try {
        const args = [
          "--tenant",
          demoTenant,
          "--storage",
          azurite.connectionString,
          "--notify",
          "--out",
          dir,
        ];
        const env = { TEAMS_WEBHOOK_URL: receiver.url, [LOOPBACK_SETTING]: "true" };
        let frozenAt = performance.now();
        if (when === "before the run") azurite.freeze();
        const running = audit(args, env);
        if (when !== "before the run") {
          let log = "";
          for (let i = 0; i < 600 && !/GET RequestURL=\S*\/findings\(\)/.test(log); i += 1) {
            await new Promise((r) => setTimeout(r, 50));
            log = existsSync(debugLog) ? readFileSync(debugLog, "utf8") : "";
          }
          azurite.freeze();
          frozenAt = performance.now();
        }
        const run = await running;
        const seconds = (performance.now() - frozenAt) / 1000;
        console.log(`storage frozen ${when}: exit after ${seconds.toFixed(1)} s`);
        expect(run.code).toBe(3);
        expect(seconds).toBeLessThan(BOUND_SECONDS + 10); // the documented bound, plus the audit's own seconds
        expect(run.stderr).toMatch(/warning: Azure Storage: /);
        expect(readJson<Finding[]>(join(dir, "findings.json")).length).toBeGreaterThan(10);
        expect(readJson<Summary>(join(dir, "summary.json")).complete).toBe(false);
        for (const card of receiver.received) expect(card.body).not.toMatch(/New findings/);
      } finally {
        await receiver.close();
        await azurite.stop();
      }
    },
    90_000,
  );
});

describe("help and version", () => {
  it("prints usage and the version", async () => {
    const help = await audit(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--fail-on SEVERITY");
    const version = await audit(["--version"]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
