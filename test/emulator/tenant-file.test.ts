import { describe, expect, it } from "vitest";
import { parseTenant, TenantFileError } from "../../src/emulator/tenant-file.js";
import { refusalOf } from "../helpers/refusal.js";
import { SUB, endpoint, workspace } from "../helpers/tenant.js";

const base = { subscriptions: [{ subscriptionId: SUB, displayName: "Prod" }] };

const refused = (json: unknown) => refusalOf(() => parseTenant(json, "t.json"), TenantFileError);

describe("the tenant file", () => {
  it("accepts a minimal tenant", () => {
    const t = parseTenant({ ...base, resources: [workspace()] });
    expect(t.resources).toHaveLength(1);
    expect(t.faults).toEqual([]);
  });

  it.each([
    [[], /\(root\): /],
    [{ subscriptions: [] }, /subscriptions: must list at least one subscription/],
    [
      { subscriptions: [{ subscriptionId: "prod", displayName: "P" }] },
      /subscriptions\[0\]\.subscriptionId: must be a GUID/,
    ],
    [{ ...base, resources: [{ name: "ws", type: "x" }] }, /resources\[0\]\.id: is required/],
    [
      { ...base, resources: [{ ...workspace(), id: "ws1" }] },
      /resources\[0\]\.id: "ws1" is not an ARM resource id/,
    ],
    [
      { ...base, resources: [{ ...workspace(), type: "Microsoft.Storage/storageAccounts" }] },
      /resources\[0\]\.type: .* does not match its id/,
    ],
    [
      { ...base, resources: [endpoint(workspace())] },
      /resources\[0\]\.id: its parent .*workspaces\/ws is not in the file/,
    ],
    [
      { ...base, resources: [workspace({}, "ws", "rg", "22222222-2222-4222-8222-222222222222")] },
      /subscription 2222.* is not listed/,
    ],
    [{ ...base, resources: [workspace(), workspace()] }, /appears twice/],
    [{ ...base, faults: [{ path: "/subscriptions/x", status: 418 }] }, /faults\[0\]\.status/],
    [
      { ...base, faults: [{ path: "subscriptions/x", status: 403 }] },
      /faults\[0\]\.path: must be a request path/,
    ],
    [{ ...base, extra: 1 }, /Unrecognized key/],
  ])("refuses a malformed tenant, naming the problem (%#)", (json, message) => {
    expect(refused(json)).toMatch(message);
  });
});
