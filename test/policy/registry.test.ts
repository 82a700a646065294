import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RULES } from "../../src/policy/registry.js";
import { SEEDS } from "../../src/policy/seeds.js";
import { SEVERITIES } from "../../src/policy/types.js";

const root = join(__dirname, "../..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const ruleFiles = readdirSync(join(root, "src/policy/rules")).map((f) => f.replace(/\.ts$/, ""));

describe("the rule registry", () => {
  it("lists every rule file exactly once", () => {
    expect(RULES.map((r) => r.slug).sort()).toEqual([...ruleFiles].sort());
  });

  it("has unique ids and slugs", () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    expect(new Set(RULES.map((r) => r.slug)).size).toBe(RULES.length);
  });

  describe.each(RULES.map((r) => [r.id, r] as const))("%s", (_id, rule) => {
    it("has a well-formed id and slug", () => {
      expect(rule.id).toMatch(/^(AMLNI|AMLNO|AMLCO|AIFNI|AIFNO|PEDNS|AUDIT)\d{3}$/);
      expect(rule.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    });

    it("has complete metadata", () => {
      expect(rule.title.length).toBeGreaterThan(10);
      expect(SEVERITIES).toContain(rule.severity);
      expect(rule.rationale.length).toBeGreaterThan(40);
      expect(rule.remediation.length).toBeGreaterThan(20);
      expect(rule.subject.length).toBeGreaterThan(0);
    });

    it("cites a seed that exists (audit rules excepted)", () => {
      if (rule.id.startsWith("AUDIT")) {
        expect(rule.seeds).toEqual([]);
        return;
      }
      expect(rule.seeds.length).toBeGreaterThan(0);
      for (const seed of rule.seeds) {
        expect(readdirSync(join(root, "docs/sources"))).toContain(SEEDS[seed].file);
      }
    });

    it("has a row in the README's rule table", () => {
      expect(readme).toMatch(new RegExp(`^\\| ${rule.id} \\| \`${rule.slug}\` +\\| \\w+ +\\|`, "m"));
    });
  });
});
