/**
 * App settings: the code, the sample file and the declared list agree, and each bad setting is refused
 * with a message that names it (and never repeats a secret value).
 */
import type { TokenCredential } from "@azure/core-auth";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  HOST_SETTINGS,
  readAuditSettings,
  readLogsSettings,
  readNotifySettings,
  readStorageSetting,
  SETTINGS,
  SettingError,
  type Environment,
} from "../src/settings.js";

const ROOT = join(__dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const code = sources(join(ROOT, "src")).map((path) => ({ path, text: readFileSync(path, "utf8") }));

/** Settings the code reads: through the settings module's readers, or as a host binding expression. */
function settingsRead(): Set<string> {
  const read = new Set<string>();
  for (const { text } of code) {
    for (const m of text.matchAll(
      /\b(?:setting|list|oneOf|httpsUri)(?:<\w+>)?\(\s*[\w.]+,\s*"([A-Za-z_]+)"/g,
    ))
      read.add(m[1] as string);
    for (const m of text.matchAll(/"%([A-Za-z_]+)%"/g)) read.add(m[1] as string);
    for (const m of text.matchAll(/connection:\s*"([A-Za-z_]+)"/g)) read.add(m[1] as string);
  }
  return read;
}

describe("app settings", () => {
  const sample = JSON.parse(readFileSync(join(ROOT, "local.settings.sample.json"), "utf8")) as {
    Values: Record<string, string>;
  };

  it("local.settings.sample.json lists every declared setting, and nothing else", () => {
    expect(Object.keys(sample.Values).sort()).toEqual([...Object.keys(SETTINGS), ...HOST_SETTINGS].sort());
    for (const [name, spec] of Object.entries(SETTINGS)) expect(sample.Values[name], name).toBe(spec.sample);
  });

  it("every setting the code reads is declared, and every declared setting is read", () => {
    const read = settingsRead();
    const declared = new Set(Object.keys(SETTINGS));
    expect([...read].filter((name) => !declared.has(name))).toEqual([]);
    const unread = Object.entries(SETTINGS)
      // AZURE_CLIENT_ID is read by @azure/identity; the schedule by the host, through the timer's binding.
      .filter(([name, spec]) => !("readBy" in spec) || name === "AUDIT_SCHEDULE")
      .map(([name]) => name)
      .filter((name) => !read.has(name));
    expect(unread).toEqual([]);
  });

  it("reads the environment only through the settings module", () => {
    const direct = code
      .filter(({ path }) => !path.endsWith(join("src", "settings.ts")))
      .flatMap(({ path, text }) =>
        [...text.matchAll(/process\.env(?:\.(\w+)|\[)/g)].map((m) => `${path}: ${m[0]}`),
      );
    expect(direct).toEqual([]);
  });

  const credential: TokenCredential = { getToken: () => Promise.resolve(null) };
  const made: { clientId?: string; kind: string }[] = [];
  const credentialFor = (clientId: string | undefined, kind: "managedidentity" | "default") => {
    made.push({ kind, ...(clientId ? { clientId } : {}) });
    return credential;
  };
  const refusal = (env: Environment, read: (env: Environment) => unknown) => {
    try {
      read(env);
    } catch (error) {
      expect(error).toBeInstanceOf(SettingError);
      return { setting: (error as SettingError).setting, message: (error as Error).message };
    }
    throw new Error("the settings were accepted");
  };

  it("builds the identity-based storage connection the host reads for the queue trigger", () => {
    const target = readStorageSetting(
      {
        AUDIT_STORAGE__blobServiceUri: "https://auditst.blob.core.windows.net/",
        AUDIT_STORAGE__tableServiceUri: "https://auditst.table.core.windows.net",
        AUDIT_STORAGE__queueServiceUri: "https://auditst.queue.core.windows.net",
        AUDIT_STORAGE__credential: "managedidentity",
        AUDIT_STORAGE__clientId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
      },
      credentialFor,
    );
    expect(target).toMatchObject({
      kind: "identity",
      blobServiceUri: "https://auditst.blob.core.windows.net",
      tableServiceUri: "https://auditst.table.core.windows.net",
      queueServiceUri: "https://auditst.queue.core.windows.net",
    });
    expect(made.at(-1)).toEqual({
      kind: "managedidentity",
      clientId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    });
    expect(readStorageSetting({ AUDIT_STORAGE: "UseDevelopmentStorage=true" }, credentialFor)).toEqual({
      kind: "connectionString",
      connectionString: "UseDevelopmentStorage=true",
    });
  });

  it.each([
    [{}, "AUDIT_STORAGE", /is not set/],
    [{ AUDIT_STORAGE: "AccountKey=SECRETKEY123;" }, "AUDIT_STORAGE", /not a storage connection string/],
    [
      { AUDIT_STORAGE: "AccountName=a;AccountKey=not*base64;EndpointSuffix=core.windows.net" },
      "AUDIT_STORAGE",
      /^AUDIT_STORAGE has an AccountKey that is not base64/,
    ],
    [
      {
        AUDIT_STORAGE: "UseDevelopmentStorage=true",
        AUDIT_STORAGE__blobServiceUri: "https://a.blob.core.windows.net",
      },
      "AUDIT_STORAGE",
      /both set/,
    ],
    [
      { AUDIT_STORAGE__blobServiceUri: "https://a.blob.core.windows.net" },
      "AUDIT_STORAGE__tableServiceUri",
      /is required/,
    ],
    [
      {
        AUDIT_STORAGE__blobServiceUri: "ftp://a.blob.core.windows.net",
        AUDIT_STORAGE__tableServiceUri: "https://a.table.core.windows.net",
        AUDIT_STORAGE__queueServiceUri: "https://a.queue.core.windows.net",
      },
      "AUDIT_STORAGE__blobServiceUri",
      /service URL/,
    ],
    [
      {
        AUDIT_STORAGE__blobServiceUri: "https://a.blob.core.windows.net",
        AUDIT_STORAGE__credential: "connectionstring",
      },
      "AUDIT_STORAGE__credential",
      /managedidentity/,
    ],
    [
      { AUDIT_STORAGE__blobServiceUri: "https://a.blob.core.windows.net", AUDIT_STORAGE__clientId: "nope" },
      "AUDIT_STORAGE__clientId",
      /GUID/,
    ],
  ] as [Environment, string, RegExp][])("refuses storage settings %j, naming %s", (env, name, message) => {
    const refused = refusal(env, (e) => readStorageSetting(e, credentialFor));
    expect(refused.setting).toBe(name);
    expect(refused.message).toMatch(message);
    expect(refused.message).not.toContain("SECRETKEY123");
  });

  it.each([
    [{ AUDIT_SOURCE: "graph" }, "AUDIT_SOURCE", /must be one of arg, arm \(got "graph"\)/],
    [{ AUDIT_PROFILE: "paranoid" }, "AUDIT_PROFILE", /must be one of strict/],
    [{ AUDIT_POLICY: "{" }, "AUDIT_POLICY", /not JSON/],
    [{ AUDIT_POLICY: '{"rules":{"NOPE":"off"}}' }, "AUDIT_POLICY", /rules\.NOPE: is not a rule id/],
    [
      { AUDIT_POLICY: '{"profile":"baseline"}', AUDIT_PROFILE: "strict" },
      "AUDIT_PROFILE",
      /set the profile in one place/,
    ],
    [{ AUDIT_SCOPE_SUBSCRIPTIONS: "abc" }, "AUDIT_SCOPE_SUBSCRIPTIONS", /GUIDs/],
    [{ AUDIT_EXCLUDE_SUBSCRIPTIONS: "1, 2" }, "AUDIT_EXCLUDE_SUBSCRIPTIONS", /GUIDs/],
    [{ AUDIT_SCOPE_MANAGEMENT_GROUPS: "a b" }, "AUDIT_SCOPE_MANAGEMENT_GROUPS", /management group ids/],
  ] as [Environment, string, RegExp][])("refuses audit settings %j, naming %s", (env, name, message) => {
    const refused = refusal(env, readAuditSettings);
    expect(refused.setting).toBe(name);
    expect(refused.message).toMatch(message);
  });

  it("reads scope lists, the profile and the inline policy", () => {
    const settings = readAuditSettings({
      AUDIT_SOURCE: "arm",
      AUDIT_PROFILE: "secure-outbound",
      AUDIT_SCOPE_SUBSCRIPTIONS:
        " 11111111-1111-4111-8111-111111111111 ,22222222-2222-4222-8222-222222222222",
      AUDIT_SCOPE_MANAGEMENT_GROUPS: "",
      AUDIT_POLICY: '{"rules":{"AMLNO003":"off"}}',
    });
    expect(settings).toMatchObject({
      source: "arm",
      policy: { profile: "secure-outbound", rules: { AMLNO003: "off" } },
      scope: {
        subscriptions: ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"],
        managementGroups: [],
      },
    });
  });

  it.each([
    [{ TEAMS_WEBHOOK_URL: "http://example.com/hook?sig=SECRETSIG1" }, "TEAMS_WEBHOOK_URL", /https/],
    [
      { TEAMS_WEBHOOK_URL: "https://evil.example.com/x?sig=SECRETSIG1" },
      "TEAMS_WEBHOOK_URL",
      /Workflows host/,
    ],
    [{ AUDIT_DASHBOARD_URL: "http://dash.example.com/?token=SECRETSIG1" }, "AUDIT_DASHBOARD_URL", /https/],
    [{ AUDIT_TEAMS_MODE: "sometimes" }, "AUDIT_TEAMS_MODE", /changes, always, off/],
    [{ AUDIT_TEAMS_ALLOW_LOOPBACK_HTTP: "yes" }, "AUDIT_TEAMS_ALLOW_LOOPBACK_HTTP", /true, false/],
  ] as [Environment, string, RegExp][])("refuses Teams settings %j, naming %s", (env, name, message) => {
    const refused = refusal(env, readNotifySettings);
    expect(refused.setting).toBe(name);
    expect(refused.message).toMatch(message);
    expect(refused.message).not.toContain("SECRETSIG1");
  });

  it("reads Log Analytics settings only together, and refuses a bad endpoint or rule id, naming it", () => {
    const rule = "dcr-0123456789abcdef0123456789abcdef";
    const endpoint = "https://audit-abcd.westeurope-1.ingest.monitor.azure.com";
    expect(readLogsSettings({})).toBeUndefined();
    expect(readLogsSettings({ AUDIT_LOGS_ENDPOINT: `${endpoint}/`, AUDIT_LOGS_RULE_ID: rule })).toEqual({
      endpoint,
      ruleId: rule,
    });
    const cases: [Environment, string, RegExp][] = [
      [{ AUDIT_LOGS_ENDPOINT: endpoint }, "AUDIT_LOGS_RULE_ID", /AUDIT_LOGS_RULE_ID is not/],
      [{ AUDIT_LOGS_RULE_ID: rule }, "AUDIT_LOGS_ENDPOINT", /AUDIT_LOGS_ENDPOINT is not/],
      [
        { AUDIT_LOGS_ENDPOINT: "http://x.ingest.monitor.azure.com", AUDIT_LOGS_RULE_ID: rule },
        "AUDIT_LOGS_ENDPOINT",
        /https/,
      ],
      [
        { AUDIT_LOGS_ENDPOINT: `${endpoint}/?sig=SECRETSIG1`, AUDIT_LOGS_RULE_ID: rule },
        "AUDIT_LOGS_ENDPOINT",
        /without a query/,
      ],
      [{ AUDIT_LOGS_ENDPOINT: endpoint, AUDIT_LOGS_RULE_ID: "rule-1" }, "AUDIT_LOGS_RULE_ID", /immutable id/],
    ];
    for (const [env, name, message] of cases) {
      const refused = refusal(env, readLogsSettings);
      expect(refused.setting).toBe(name);
      expect(refused.message).toMatch(message);
      expect(refused.message).not.toContain("SECRETSIG1");
    }
  });
});
