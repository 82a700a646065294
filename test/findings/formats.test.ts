import { describe, expect, it } from "vitest";
import { findingId, type Finding } from "../../src/findings/finding.js";
import { CSV_COLUMNS, formatCsv } from "../../src/findings/format-csv.js";
import { formatOcsf, toOcsf } from "../../src/findings/format-ocsf.js";
import { SUB, workspaceId } from "../helpers/tenant.js";

function finding(overrides: Partial<Finding> = {}): Finding {
  const resourceId = workspaceId('=HYPERLINK("http://evil")', "rg");
  return {
    id: findingId("AMLNI003", resourceId),
    ruleId: "AMLNI003",
    slug: "workspace-public-inbound",
    title: "Workspace is reachable from public networks",
    severity: "high",
    status: "new",
    resourceId,
    resourceType: "Microsoft.MachineLearningServices/workspaces",
    subscriptionId: SUB,
    subscriptionName: "Prod, EU",
    resourceGroup: "rg",
    workspace: '=HYPERLINK("http://evil")',
    evidence: { publicNetworkAccess: "Enabled" },
    message: 'Workspace `ws` says "hi",\nthen more.',
    remediation: "az ml workspace update ...",
    seed: ["002", "004"],
    firstSeen: "2026-11-20T02:00:00.000Z",
    lastSeen: "2026-11-23T02:00:00.000Z",
    runId: "run-1",
    ...overrides,
  };
}

/** Splits RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += 1;
    } else field += c;
  }
  return rows;
}

describe("CSV", () => {
  it("has a header and one row per finding, quoting commas, quotes and line breaks", () => {
    const rows = parseCsv(formatCsv([finding(), finding({ ruleId: "AMLNI005" })]));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(3);
    const first = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, rows[1]?.[i]]));
    expect(first.subscriptionName).toBe("Prod, EU");
    expect(first.message).toBe('Workspace `ws` says "hi",\nthen more.');
  });

  it("keeps the columns it had in place and appends the Foundry account and project", () => {
    expect(CSV_COLUMNS.slice(0, 3)).toEqual(["id", "ruleId", "severity"]);
    expect(CSV_COLUMNS.slice(-3)).toEqual(["runId", "account", "project"]);
    const rows = parseCsv(formatCsv([finding({ workspace: undefined, account: "aif-prod" })]));
    expect(rows[1]?.[CSV_COLUMNS.indexOf("account")]).toBe("aif-prod");
    expect(rows[1]?.[CSV_COLUMNS.indexOf("workspace")]).toBe("");
  });

  it("defuses cells a spreadsheet would run as formulas", () => {
    const rows = parseCsv(formatCsv([finding()]));
    const workspace = rows[1]?.[CSV_COLUMNS.indexOf("workspace")];
    expect(workspace).toBe(`'=HYPERLINK("http://evil")`);
  });
});

describe("OCSF Compliance Finding", () => {
  const options = { productVersion: "0.1.0", profile: "strict" };

  it.each([
    ["new", 1, 1],
    ["open", 2, 2],
    ["exempted", 2, 3],
  ] as const)("a %s finding carries every required field", (status, activity, statusId) => {
    const event = toOcsf(finding({ status }), options);
    expect(event.class_uid).toBe(2003);
    expect(event.category_uid).toBe(2);
    expect(event.activity_id).toBe(activity);
    expect(event.type_uid).toBe(200300 + activity);
    expect(event.status_id).toBe(statusId);
    expect([0, 1, 2, 3, 4, 5, 6, 99]).toContain(event.severity_id);
    expect(event.severity_id).toBe(4);
    expect(typeof event.time).toBe("number");
    expect(event.compliance.status_id).toBe(3);
    expect(Array.isArray(event.compliance.standards)).toBe(true);
    expect(event.finding_info.uid).toBe(finding().id);
    expect(event.metadata.product.name).toBe("aml-isolation-auditor");
    expect(typeof event.metadata.version).toBe("string");
    expect(event.resources[0]?.uid).toBe(finding().resourceId);
    expect(event.remediation.desc).toContain("az ml");
  });

  it("types a Foundry finding as Foundry network isolation", () => {
    expect(toOcsf(finding(), options).finding_info.types).toEqual([
      "Azure Machine Learning network isolation",
    ]);
    expect(toOcsf(finding({ account: "aif-prod" }), options).finding_info.types).toEqual([
      "Microsoft Foundry network isolation",
    ]);
  });

  it("gives a scope that could not be read (AUDIT001) no result, not a failure: Warning, with the reason", () => {
    const unread = toOcsf(finding({ ruleId: "AUDIT001" }), options);
    expect(unread.compliance).toMatchObject({ status_id: 2, status: "Warning" });
    expect(unread.compliance.status_detail).toMatch(/could not be read/);
    // An expired exemption is a failure of the policy itself.
    expect(toOcsf(finding({ ruleId: "AUDIT002" }), options).compliance).toMatchObject({
      status_id: 3,
      status: "Fail",
    });
  });

  it("prints a JSON array", () => {
    expect(JSON.parse(formatOcsf([finding(), finding()], options))).toHaveLength(2);
  });
});
