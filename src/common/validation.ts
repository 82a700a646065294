import type { z } from "zod";

/** `exemptions[2].expires: must be a date ...` — the field first, then what was expected. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
        .join("");
      return `${path || "(root)"}: ${issue.message}`;
    })
    .join("; ");
}
