/**
 * What makes a first `azd up` fail, or a deployment misbehave, held to the sources that say so (no Bicep
 * compiler or Azure subscription can be reached from here): every declared type and api-version, and every AVM
 * module parameter, is one that exists; deployments at subscription scope are named per environment; Sentinel's
 * rule waits for the onboarding; the alerts follow the schedule, notify once and use what log search alerts
 * take; the tables keep what the workbook and Sentinel read; the worker's heap fits its instance.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { bicepFiles, declarations, evaluateVars, objectKeys } from "../helpers/bicep.js";

const ROOT = join(__dirname, "../..");
const INFRA = join(ROOT, "infra");
const read = (path: string) => readFileSync(join(INFRA, path), "utf8");

const bicep = bicepFiles(INFRA);
const main = read("main.bicep");
const logs = read("app/log-analytics.bicep");
const registry = JSON.parse(readFileSync(join(__dirname, "resource-types.json"), "utf8")) as {
  resources: Record<string, string>;
  modules: Record<string, { source: string; params: string[] }>;
};
const declared = (name: string, text = main) => {
  const d = declarations(text).find((x) => x.name === name);
  if (!d) throw new Error(`no declaration ${name}`);
  return d;
};

describe("the types, api-versions and modules the templates declare", () => {
  it("are each one that exists, checked against its source", () => {
    const unknown: string[] = [];
    for (const file of bicep)
      for (const d of declarations(file.text)) {
        if (d.kind === "resource" && !(d.target in registry.resources))
          unknown.push(`${file.path}: resource ${d.name} '${d.target}'`);
        if (d.kind === "module" && d.target.startsWith("br/") && !(d.target in registry.modules))
          unknown.push(`${file.path}: module ${d.name} '${d.target}'`);
      }
    expect(unknown).toEqual([]);
    expect(Object.keys(registry.resources).length).toBeGreaterThanOrEqual(13);
  });

  it("give each AVM module only parameters it declares at that version", () => {
    const wrong: string[] = [];
    for (const file of bicep)
      for (const d of declarations(file.text).filter((x) => x.target.startsWith("br/public:"))) {
        const known = new Set(registry.modules[d.target]?.params ?? []);
        for (const key of objectKeys(d.body, "params"))
          if (!known.has(key)) wrong.push(`${file.path}: ${d.name} ${key}`);
      }
    expect(wrong).toEqual([]);
  });

  it("fails on a type, version or parameter that is not listed (the check can fail)", () => {
    const text = [
      "resource x 'Microsoft.Insights/scheduledQueryRules@2099-01-01' = {\n  name: 'x'\n}",
      "module w 'br/public:avm/res/operational-insights/workspace:0.11.1' = {\n  params: {\n    name: 'n'\n    onboardToSentinel: true\n  }\n}",
    ].join("\n");
    const [resource, module] = declarations(text);
    expect((resource?.target ?? "") in registry.resources).toBe(false);
    const known = new Set(registry.modules[module?.target ?? ""]?.params);
    expect(objectKeys(module?.body ?? "", "params").filter((k) => !known.has(k))).toEqual([
      "onboardToSentinel",
    ]);
  });
});

describe("names and order", () => {
  it("names every deployment at subscription scope with the environment's resource token", () => {
    // A resource group's deployments live in it; those at subscription scope are shared by every environment
    // of the subscription, and a name reused from another region fails (InvalidDeploymentLocation).
    const atSubscription = declarations(main).filter(
      (d) => d.kind === "module" && !/\n\s*scope: rg\n/.test(d.body),
    );
    expect(atSubscription.map((d) => d.name).sort()).toEqual(["readerElsewhere", "readerHere"]);
    for (const d of atSubscription)
      expect(/\n\s*name: '([^'\n]*)'/.exec(d.body)?.[1]).toMatch(/\$\{resourceToken\}/);
  });

  it("onboards the workspace to Sentinel before the analytics rule, in the same deployment", () => {
    const workspace = declared("logAnalytics");
    expect(workspace.target).toBe("br/public:avm/res/operational-insights/workspace:0.11.1");
    // AVM 0.11.1 creates Microsoft.SecurityInsights/onboardingStates `default` only with both of these.
    expect(workspace.body).toMatch(/onboardWorkspaceToSentinel: sentinelOnboarded\n/);
    expect(workspace.body).toMatch(
      /gallerySolutions: sentinelOnboarded\s*\?\s*\[\{ name: 'SecurityInsights\(\$\{workspaceName\}\)', plan: \{ product: 'OMSGallery\/SecurityInsights'/,
    );
    expect(main).toMatch(/^var sentinelOnboarded = logsEnabled && sentinelEnabled$/m);
    // The rule's module takes the workspace from the onboarding module's outputs: it starts after it.
    expect(declared("logs").body).toMatch(/workspaceName: logAnalytics\.outputs\.name\n/);
    expect(declared("newHighFinding", logs).body).toMatch(/scope: workspace\n/);
  });

  it("creates the rule after its tables, and the app after its roles", () => {
    expect(declared("rule", logs).body).toMatch(/dependsOn: \[tables\]/);
    expect(declared("app").body).toMatch(/dependsOn: \[rbac\]/);
  });
});

describe("the alerts", () => {
  const stale = (auditSchedule: string) =>
    evaluateVars(
      main,
      ["scheduleFields", "scheduleEveryDay", "scheduleHourField", "scheduleGapHours", "auditStaleHours"],
      { auditSchedule },
    ).auditStaleHours;

  it.each([
    ["0 0 2 * * *", 26],
    ["0 30 */6 * * *", 8],
    ["0 0 * * * *", 3],
    ["0 0 1,13 * * *", 26],
    ["0 0 2 * * 1-5", 0], // weekdays only: a 3-day gap, longer than the alert's window
    ["0 0 2 1 * *", 0],
  ])(
    "stops the audit after the schedule's gap and two hours: %s → %i hours (0: disabled)",
    (schedule, hours) => {
      expect(stale(schedule)).toBe(hours);
    },
  );

  it("gives the derived hours and the deployment time to a stateful rule that runs no union", () => {
    // 'u' (2026-12-05 10:00:00Z): a form KQL's datetime() reads; the default (20261205T100000Z) is not.
    expect(main).toMatch(/^param deployedAt string = utcNow\('u'\)$/m);
    expect(declared("logs").body).toMatch(/staleHours: auditStaleHours\n\s*deployedAt: deployedAt\n/);
    const stopped = declared("auditStopped", logs).body;
    expect(stopped).toMatch(/'\{\{staleHours\}\}', string\(max\(staleHours, 1\)\)/);
    expect(stopped).toMatch(/'\{\{deployedAt\}\}',\s*deployedAt/);
    expect(stopped).toMatch(/enabled: staleHours > 0\n/);
    for (const name of ["auditStopped", "auditFailed"]) {
      const body = declared(name, logs).body;
      // Stateful: one notification when it fires, one when it is resolved; not one an hour.
      expect(body).toMatch(/autoMitigate: true\n/);
      expect(body).toMatch(/kind: 'LogAlert'\n/);
    }
    for (const file of ["audit-stopped.kql", "audit-failed.kql"]) {
      const query = read(`app/log-analytics/${file}`).replace(/^\/\/[^\n]*\n/gm, "");
      // Learn, "Optimize log search alert queries": no search or union; a query starts with a table.
      expect(query).not.toMatch(/\b(union|search)\b/);
      expect(query).toMatch(/^AmlIsolationRuns_CL\n/);
    }
  });
});

describe("retention and lookback", () => {
  const DAY = 86_400_000;
  const retentionDays = Number(/^param retentionDays int = (\d+)$/m.exec(logs)?.[1]);

  it("keeps the tables' rows longer than the workbook and the Sentinel rule look back", () => {
    expect(declared("tables", logs).body).toMatch(/retentionInDays: retentionDays\n/);
    interface Item {
      type: number;
      content: { version?: string; timeContext?: { durationMs: number }; items?: Item[] };
    }
    const workbook = JSON.parse(read("app/log-analytics/workbook.json")) as { items: Item[] };
    const steps = (items: Item[]): Item[] =>
      items.flatMap((i) => [
        ...(i.content.version === "KqlItem/1.0" ? [i] : []),
        ...steps(i.content.items ?? []),
      ]);
    const queries = steps(workbook.items);
    expect(queries.length).toBeGreaterThanOrEqual(9);
    for (const step of queries) {
      // No step is left to the default time range: "the last 30 runs" may be a month back.
      expect(step.content.timeContext?.durationMs).toBeGreaterThanOrEqual(30 * DAY);
      expect(step.content.timeContext?.durationMs).toBeLessThanOrEqual(retentionDays * DAY);
    }
    // Sentinel's longest lookback, for rows an outage kept (selected by when they arrived).
    const sentinel = declared("newHighFinding", logs).body;
    expect(sentinel).toMatch(/queryPeriod: 'P14D'\n/);
    expect(retentionDays).toBeGreaterThan(14);
  });
});

describe("the Key Vault and the worker's instance", () => {
  it("keeps the retention an existing vault was made with, when the environment says so", () => {
    expect(main).toMatch(/^param vaultSoftDeleteRetentionDays int = 7$/m);
    expect(declared("vault").body).toMatch(/softDeleteRetentionDays: vaultSoftDeleteRetentionDays\n/);
    expect(read("app/keyvault.bicep")).toMatch(/softDeleteRetentionInDays: softDeleteRetentionDays\n/);
    const parameters = JSON.parse(read("main.parameters.json")) as {
      parameters: Record<string, { value: string }>;
    };
    expect(parameters.parameters.vaultSoftDeleteRetentionDays?.value).toBe("${AUDIT_VAULT_RETENTION_DAYS=7}");
  });

  it.each([
    [512, 256],
    [2048, 1024],
    [4096, 2048],
  ])("bounds the worker's heap inside a %i MB instance: %i MB", (instanceMemoryMB, heap) => {
    expect(evaluateVars(main, ["workerHeapMB"], { instanceMemoryMB }).workerHeapMB).toBe(heap);
    expect(declared("app").body).toMatch(
      /instanceMemoryMB: instanceMemoryMB\n\s*workerHeapMB: workerHeapMB\n/,
    );
    expect(read("app/api.bicep")).toMatch(
      /languageWorkers__node__arguments: '--max-old-space-size=\$\{workerHeapMB\}'/,
    );
  });
});

describe("the first deploy after a provision", () => {
  const HOOK = join(ROOT, "scripts/azd-predeploy.js");
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [HOOK], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" });

  it("runs the predeploy hook on every platform azd runs on, and it reads the role's age from the provision", () => {
    const config = parse(readFileSync(join(ROOT, "azure.yaml"), "utf8")) as {
      hooks?: { predeploy?: Record<string, { shell: string; run: string }> };
    };
    expect(config.hooks?.predeploy).toEqual({
      posix: { shell: "sh", run: "node scripts/azd-predeploy.js" },
      windows: { shell: "pwsh", run: "node scripts/azd-predeploy.js" },
    });
    // The output azd stores in the environment, and the hook reads: the app's role on the deployment container.
    expect(main).toMatch(
      /^output AUDIT_DEPLOYMENT_ROLE_CREATED_ON string = rbac\.outputs\.deploymentRoleCreatedOn$/m,
    );
    expect(read("app/rbac.bicep")).toMatch(
      /^output deploymentRoleCreatedOn string = hostBlob\.properties\.createdOn$/m,
    );
    expect(read("app/rbac.bicep")).toMatch(/resource hostBlob [^\n]*\n\s*name: guid\(hostStorage\.id/);
  });

  it("waits until the role is old enough, says so, and never past the bound", () => {
    const createdSecondsAgo = (s: number) => new Date(Date.now() - s * 1000).toISOString();
    const fresh = run({
      AUDIT_DEPLOYMENT_ROLE_CREATED_ON: createdSecondsAgo(58),
      AUDIT_ROLE_WAIT_SECONDS: "60",
    });
    expect(fresh.status).toBe(0);
    expect(fresh.stdout).toMatch(/waiting [1-3] s for Azure to apply it/);
    expect(fresh.stdout).toMatch(/done waiting/);
    const old = run({ AUDIT_DEPLOYMENT_ROLE_CREATED_ON: createdSecondsAgo(3600) });
    expect(old.stdout).toBe("");
    const { plan } = createRequire(__filename)(HOOK) as {
      plan: (env: Record<string, string>, now?: number) => { seconds: number; note?: string };
    };
    const now = Date.parse("2026-12-05T10:00:00Z");
    expect(plan({ AUDIT_DEPLOYMENT_ROLE_CREATED_ON: "2026-12-05T09:59:00Z" }, now).seconds).toBe(240);
    // A clock ahead of the role's (skew) never waits longer than the bound.
    expect(plan({ AUDIT_DEPLOYMENT_ROLE_CREATED_ON: "2026-12-05T11:00:00Z" }, now).seconds).toBe(300);
    expect(
      plan({ AUDIT_DEPLOYMENT_ROLE_CREATED_ON: "2026-12-05T09:59:00Z", AUDIT_ROLE_WAIT_SECONDS: "0" }, now)
        .seconds,
    ).toBe(0);
    expect(plan({}, now).seconds).toBe(0);
    expect(plan({}, now).note).toMatch(/run azd provision first/);
  });
});
