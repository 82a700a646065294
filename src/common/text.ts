/**
 * Text from the tenant (subscription, workspace and resource names, tags) reaches terminals, cards and
 * spreadsheets. Control characters there could move the cursor, rewrite lines, or smuggle an OSC 8 link
 * into a terminal: every human-facing output shows them as visible escapes instead.
 */
// C0 controls but tab, DEL, and the C1 range (which holds the single-byte CSI, 0x9b).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export function visible(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A message of one or more lines, each with its control characters escaped (the line breaks kept). */
export function visibleLines(text: string): string {
  return text.split("\n").map(visible).join("\n");
}

/** A value from the command line or a file, echoed in a message: control characters escaped, cut to a line. */
export function shown(value: string, max = 80): string {
  const escaped = visible(value);
  return escaped.length <= max ? escaped : `${escaped.slice(0, max)}…(${value.length} characters)`;
}
