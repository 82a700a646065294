/**
 * The Log Analytics templates held to the code: the tables and the data collection rule's streams are both made
 * from tables.json, which is what the code declares; the app's one new role is on the rule; the settings the
 * sink reads come from the rule's outputs; the workbook, the alert and the Sentinel rule load the checked KQL.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tablesDocument, TABLES } from "../../src/sinks/log-analytics/schema.js";

const INFRA = join(__dirname, "../../infra");
const module = readFileSync(join(INFRA, "app/log-analytics.bicep"), "utf8");
const main = readFileSync(join(INFRA, "main.bicep"), "utf8");
const api = readFileSync(join(INFRA, "app/api.bicep"), "utf8");
const tablesJson = JSON.parse(readFileSync(join(INFRA, "app/log-analytics/tables.json"), "utf8")) as unknown;

/** A resource's type and its declaration, to its closing brace at the start of a line. */
function resource(name: string): { type: string; body: string } {
  const type = new RegExp(`^resource ${name} '([^@']+)@`, "m").exec(module)?.[1] ?? "";
  const start = module.indexOf(`resource ${name} `);
  const end = module.indexOf("\n}\n", start);
  return { type, body: module.slice(start, end === -1 ? undefined : end) };
}

describe("infra/app/log-analytics.bicep", () => {
  it("makes the tables and the rule's stream declarations from tables.json, which is the code's declaration", () => {
    // `node scripts/log-analytics-schema.js` writes it; an edit to one without the other fails here.
    expect(tablesJson).toEqual(tablesDocument());
    expect(module).toMatch(/var schema = loadJsonContent\('log-analytics\/tables\.json'\)/);
    const tables = resource("tables");
    expect(tables.type).toBe("Microsoft.OperationalInsights/workspaces/tables");
    expect(tables.body).toMatch(/for table in schema\.tables:/);
    expect(tables.body).toMatch(/name: table\.name/);
    expect(tables.body).toMatch(/columns: table\.columns/);
    const rule = resource("rule");
    expect(rule.type).toBe("Microsoft.Insights/dataCollectionRules");
    expect(rule.body).toMatch(/kind: 'Direct'/);
    expect(rule.body).toMatch(
      /streamDeclarations: toObject\(schema\.tables, t => t\.stream, t => \{ columns: t\.columns \}\)/,
    );
    expect(rule.body).toMatch(/transformKql: 'source'/);
    expect(rule.body).toMatch(/streams: \[table\.stream\]/);
    expect(rule.body).toMatch(/outputStream: 'Custom-\$\{table\.name\}'/);
    // Custom tables and streams are named as the service requires.
    for (const t of TABLES) {
      expect(t.table).toMatch(/_CL$/);
      expect(t.stream).toBe(`Custom-${t.table}`);
      expect(t.columns[0]).toMatchObject({ name: "TimeGenerated", type: "datetime" });
      expect(new Set(t.columns.map((c) => c.name)).size).toBe(t.columns.length);
    }
  });

  it("gives the app Monitoring Metrics Publisher on the rule, and nothing else", () => {
    const assignments = [...module.matchAll(/'Microsoft\.Authorization\/roleAssignments@/g)];
    expect(assignments).toHaveLength(1);
    const publisher = resource("publisher");
    expect(publisher.body).toMatch(/scope: rule\n/);
    expect(publisher.body).toMatch(/roles\.monitoringMetricsPublisher\)/);
    expect(publisher.body).toMatch(/principalType: 'ServicePrincipal'/);
    expect(module).toMatch(
      /monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' \/\/ Monitoring Metrics Publisher/,
    );
  });

  it("is deployed with logsEnabled, and the app's settings come from the rule's outputs", () => {
    expect(main).toMatch(/^param logsEnabled bool = false$/m);
    expect(main).toMatch(/^param sentinelEnabled bool = false$/m);
    expect(main).toMatch(/^param alertEmail string = ''$/m);
    expect(main).toMatch(/module logs 'app\/log-analytics\.bicep' = if \(logsEnabled\) \{/);
    expect(main).toMatch(/principalId: identity\.outputs\.principalId/);
    expect(main).toMatch(/logsEndpoint: logsEnabled \? logs!\.outputs\.ingestionEndpoint : ''/);
    expect(main).toMatch(/logsRuleId: logsEnabled \? logs!\.outputs\.ruleImmutableId : ''/);
    expect(api).toMatch(/AUDIT_LOGS_ENDPOINT: logsEndpoint/);
    expect(api).toMatch(/AUDIT_LOGS_RULE_ID: logsRuleId/);
    expect(module).toMatch(/output ingestionEndpoint string = rule\.properties\.endpoints\.logsIngestion/);
    expect(module).toMatch(/output ruleImmutableId string = rule\.properties\.immutableId/);
  });

  it("deploys the workbook, the audit-stopped alert (to the e-mail given) and, with Sentinel, the analytics rule", () => {
    const workbook = resource("workbook");
    expect(workbook.type).toBe("Microsoft.Insights/workbooks");
    expect(workbook.body).toMatch(/serializedData: loadTextContent\('log-analytics\/workbook\.json'\)/);
    expect(workbook.body).toMatch(/sourceId: workspace\.id/);
    expect(workbook.body).toMatch(/name: guid\(/); // a workbook's name is a GUID
    for (const [name, file] of [
      ["auditStopped", "audit-stopped.kql"],
      ["auditFailed", "audit-failed.kql"],
    ] as const) {
      const alert = resource(name);
      expect(alert.type).toBe("Microsoft.Insights/scheduledQueryRules");
      expect(alert.body).toMatch(
        new RegExp(`loadTextContent\\('log-analytics/${file.replace(".", "\\.")}'\\)`),
      );
      expect(alert.body).toMatch(/windowSize: 'P2D'/);
      expect(alert.body).toMatch(/actionGroups: empty\(alertEmail\) \? \[\] : \[actionGroup\.id\]/);
    }
    expect(readFileSync(join(INFRA, "app/log-analytics/audit-stopped.kql"), "utf8")).toMatch(
      /ago\(\{\{staleHours\}\}h\)/,
    );
    const group = resource("actionGroup");
    expect(group.body).toMatch(/= if \(!empty\(alertEmail\)\)/);
    expect(group.body).toMatch(/emailAddress: alertEmail/);
    expect(/groupShortName: '([^']+)'/.exec(group.body)?.[1]?.length).toBeLessThanOrEqual(12);
    const sentinel = resource("newHighFinding");
    expect(sentinel.type).toBe("Microsoft.SecurityInsights/alertRules");
    expect(sentinel.body).toMatch(/= if \(sentinelEnabled\)/);
    expect(sentinel.body).toMatch(/kind: 'Scheduled'/);
    expect(sentinel.body).toMatch(/scope: workspace\n/);
    expect(sentinel.body).toMatch(
      /query: loadTextContent\('log-analytics\/sentinel-new-high-finding\.kql'\)/,
    );
    expect(sentinel.body).toMatch(/Remediation: 'Remediation'/);
    expect(sentinel.body).toMatch(/aggregationKind: 'AlertPerResult'/);
  });
});
