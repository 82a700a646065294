import { isWithin, sameId } from "../model/arm-ids.js";
import type { Exemption } from "./types.js";

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** When an exemption stops applying: a date alone is valid through that day (UTC). */
export function expiresAt(exemption: Exemption): Date {
  if (DATE_ONLY.test(exemption.expires)) {
    const day = new Date(`${exemption.expires}T00:00:00Z`);
    return new Date(day.getTime() + 24 * 60 * 60 * 1000);
  }
  return new Date(exemption.expires);
}

export function isExpired(exemption: Exemption, now: Date): boolean {
  return now.getTime() >= expiresAt(exemption).getTime();
}

/** The id an exemption names: the resource, or the scope of a `/*` prefix. */
export function exemptedScope(exemption: Exemption): string {
  return exemption.resource.endsWith("/*") ? exemption.resource.slice(0, -2) : exemption.resource;
}

export function exemptionCovers(exemption: Exemption, ruleId: string, resourceId: string): boolean {
  if (exemption.ruleId.toUpperCase() !== ruleId.toUpperCase()) return false;
  return exemption.resource.endsWith("/*")
    ? isWithin(resourceId, exemptedScope(exemption)) && !sameId(resourceId, exemptedScope(exemption))
    : sameId(resourceId, exemption.resource);
}
