/**
 * IPv4 ranges as network rules give them (`203.0.113.0/24`, or one address): how much of the address space they
 * cover. A network rule that admits "selected" ranges covering the whole internet admits the internet.
 */
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;
const ALL = 2 ** 32;

/** The first and last address of a range, or undefined when it is no IPv4 range. */
function interval(range: string): [number, number] | undefined {
  const m = IPV4.exec(range.trim());
  if (!m) return undefined;
  const octets = [m[1], m[2], m[3], m[4]].map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (bits > 32) return undefined;
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const first = address - (address % size);
  return [first, first + size - 1];
}

/** How many IPv4 addresses the ranges cover together (overlaps counted once). */
export function addressesCovered(ranges: readonly string[]): number {
  const intervals = ranges
    .map(interval)
    .filter((i): i is [number, number] => i !== undefined)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -1;
  for (const [first, last] of intervals) {
    if (last <= end) continue;
    total += last - Math.max(first, end + 1) + 1;
    end = last;
  }
  return total;
}

/** Whether the ranges admit the whole internet: `*`, `0.0.0.0/0`, `::/0`, or IPv4 ranges that together cover it. */
export function coversInternet(ranges: readonly string[]): boolean {
  if (ranges.some((r) => ["*", "0.0.0.0/0", "::/0", "internet"].includes(r.trim().toLowerCase())))
    return true;
  return addressesCovered(ranges) >= ALL;
}
