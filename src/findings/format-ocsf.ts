/**
 * OCSF 1.x Compliance Finding (class 2003), for security tooling that speaks OCSF: one event per
 * finding, the finding id as `finding_info.uid`.
 */
import { lastName } from "../model/arm-ids.js";
import { SEEDS, type SeedId } from "../policy/seeds.js";
import type { Severity } from "../policy/types.js";
import type { Finding, FindingStatus } from "./finding.js";

export const OCSF_SCHEMA_VERSION = "1.3.0";

/** AUDIT001: a scope the run could not read, or cannot prove it read whole. */
const UNREAD_SCOPE_RULE = "AUDIT001";

const SEVERITY_IDS: Record<Severity, { id: number; name: string }> = {
  informational: { id: 1, name: "Informational" },
  low: { id: 2, name: "Low" },
  medium: { id: 3, name: "Medium" },
  high: { id: 4, name: "High" },
  critical: { id: 5, name: "Critical" },
};

/** OCSF finding status: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved. */
const STATUS_IDS: Record<FindingStatus, { id: number; name: string }> = {
  new: { id: 1, name: "New" },
  open: { id: 2, name: "In Progress" },
  exempted: { id: 3, name: "Suppressed" },
};

/** The fields this product fills (OCSF 1.x, class 2003). */
export interface OcsfComplianceFinding {
  activity_id: number;
  activity_name: string;
  category_uid: 2;
  category_name: string;
  class_uid: 2003;
  class_name: string;
  type_uid: number;
  time: number;
  severity_id: number;
  severity: string;
  status_id: number;
  status: string;
  message: string;
  compliance: {
    status_id: 1 | 2 | 3;
    status: string;
    status_detail?: string;
    control: string;
    standards: string[];
    requirements: string[];
  };
  finding_info: {
    uid: string;
    title: string;
    desc: string;
    types: string[];
    first_seen_time: number;
    last_seen_time: number;
  };
  resources: {
    uid: string;
    name: string;
    type: string;
    group?: { name: string };
    data: Record<string, unknown>;
  }[];
  cloud: { provider: "Azure"; account: { uid: string; name: string; type: string } };
  remediation: { desc: string };
  metadata: { version: string; product: { name: string; vendor_name: string; version: string }; uid: string };
  unmapped?: Record<string, unknown>;
}

export interface OcsfOptions {
  productVersion: string;
  profile: string;
}

export function toOcsf(finding: Finding, options: OcsfOptions): OcsfComplianceFinding {
  // activity 1 Create for a finding first seen now, 2 Update for one seen before.
  const activityId = finding.status === "new" ? 1 : 2;
  const seen = Date.parse(finding.lastSeen);
  return {
    activity_id: activityId,
    activity_name: activityId === 1 ? "Create" : "Update",
    category_uid: 2,
    category_name: "Findings",
    class_uid: 2003,
    class_name: "Compliance Finding",
    type_uid: 200300 + activityId,
    time: seen,
    severity_id: SEVERITY_IDS[finding.severity].id,
    severity: SEVERITY_IDS[finding.severity].name,
    status_id: STATUS_IDS[finding.status].id,
    status: STATUS_IDS[finding.status].name,
    message: finding.message,
    compliance: {
      // The control fails; an exemption accepts the risk without making it pass. A scope that could not be read
      // has no result: OCSF's 2 "Warning" is the check that "did not yield a result due to missing information"
      // (objects/compliance.json), never a pass and not a failure of the controls inside it.
      ...(finding.ruleId === UNREAD_SCOPE_RULE
        ? {
            status_id: 2 as const,
            status: "Warning",
            status_detail: "Not evaluated: the scope could not be read, so what it holds is unknown",
          }
        : { status_id: 3 as const, status: "Fail" }),
      control: finding.ruleId,
      standards: [`aml-isolation-auditor ${options.profile} profile`],
      requirements: finding.seed.map((s) => SEEDS[s as SeedId]?.title ?? s),
    },
    finding_info: {
      uid: finding.id,
      title: finding.title,
      desc: finding.message,
      types: [
        finding.account ? "Microsoft Foundry network isolation" : "Azure Machine Learning network isolation",
      ],
      first_seen_time: Date.parse(finding.firstSeen),
      last_seen_time: seen,
    },
    resources: [
      {
        uid: finding.resourceId,
        name: lastName(finding.resourceId),
        type: finding.resourceType,
        ...(finding.resourceGroup ? { group: { name: finding.resourceGroup } } : {}),
        data: finding.evidence,
      },
    ],
    cloud: {
      provider: "Azure",
      account: { uid: finding.subscriptionId, name: finding.subscriptionName, type: "Azure Subscription" },
    },
    remediation: { desc: finding.remediation },
    metadata: {
      version: OCSF_SCHEMA_VERSION,
      product: {
        name: "aml-isolation-auditor",
        vendor_name: "aml-isolation-auditor",
        version: options.productVersion,
      },
      uid: `${finding.runId}:${finding.id}`,
    },
    ...(finding.exemption ? { unmapped: { exemption: finding.exemption } } : {}),
  };
}

export function formatOcsf(findings: readonly Finding[], options: OcsfOptions): string {
  return `${JSON.stringify(
    findings.map((f) => toOcsf(f, options)),
    null,
    2,
  )}\n`;
}
