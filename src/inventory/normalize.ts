import { canonicalType, lastName } from "../arm-ids.js";
import type { ArmResource } from "../snapshot.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * ARM JSON (a list item, a GET body or a Resource Graph row) reduced to the fields the snapshot keeps,
 * with the type in ARM's casing (Resource Graph lower-cases it), so both sources give the same snapshot.
 */
export function normalizeResource(raw: unknown): ArmResource | undefined {
  if (!isRecord(raw) || typeof raw.id !== "string" || typeof raw.type !== "string") return undefined;
  const resource: ArmResource = {
    id: raw.id,
    name: typeof raw.name === "string" ? raw.name : lastName(raw.id),
    type: canonicalType(raw.type),
  };
  if (typeof raw.location === "string" && raw.location) resource.location = raw.location;
  if (typeof raw.kind === "string" && raw.kind) resource.kind = raw.kind;
  if (isRecord(raw.tags) && Object.keys(raw.tags).length > 0)
    resource.tags = raw.tags as Record<string, string>;
  if (isRecord(raw.sku)) resource.sku = raw.sku;
  if (isRecord(raw.properties)) resource.properties = raw.properties;
  return resource;
}
