/**
 * Where a webhook may go (README "Webhooks", outbound safety): an https URL whose host resolves
 * only to public addresses. Refused: private ranges, loopback, link-local (cloud metadata lives at
 * 169.254.169.254), unique-local, unspecified, multicast and reserved space, and IPv6 forms that
 * embed one of those IPv4 addresses (IPv4-mapped, IPv4-compatible, NAT64). Pure: resolution and
 * the connection happen in webhooks/sender.ts, which checks every resolved address with this.
 */
import net from "node:net";

type V4Range = [base: [number, number, number, number], bits: number, why: string];

const V4_BLOCKED: V4Range[] = [
  [[0, 0, 0, 0], 8, "unspecified"],
  [[10, 0, 0, 0], 8, "private"],
  [[100, 64, 0, 0], 10, "shared (carrier-grade NAT)"],
  [[127, 0, 0, 0], 8, "loopback"],
  [[169, 254, 0, 0], 16, "link-local"],
  [[172, 16, 0, 0], 12, "private"],
  [[192, 0, 0, 0], 24, "reserved"],
  [[192, 168, 0, 0], 16, "private"],
  [[198, 18, 0, 0], 15, "benchmarking"],
  [[224, 0, 0, 0], 4, "multicast"],
  [[240, 0, 0, 0], 4, "reserved"],
];

function v4Number(parts: readonly number[]): number {
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function v4Problem(parts: readonly number[]): string | null {
  const n = v4Number(parts);
  for (const [base, bits, why] of V4_BLOCKED) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((n & mask) >>> 0 === (v4Number(base) & mask) >>> 0) return why;
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or null if it is not one. */
export function ipv6Groups(ip: string): number[] | null {
  let s = ip.split("%")[0]!.toLowerCase();
  // A trailing dotted IPv4 part stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    if (!net.isIPv4(dotted[1]!)) return null;
    const p = dotted[1]!.split(".").map(Number);
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    s = s.slice(0, -dotted[1]!.length) + `${hex(p[0]!, p[1]!)}:${hex(p[2]!, p[3]!)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parse = (h: string) =>
    h === "" ? [] : h.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if ([...head, ...rest].some(Number.isNaN)) return null;
  const known = head.length + rest.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return null;
  return [...head, ...Array<number>(8 - known).fill(0), ...rest];
}

/** Why an address must not receive webhooks, or null when it is a public address. */
export function addressProblem(ip: string): string | null {
  if (net.isIPv4(ip)) return v4Problem(ip.split(".").map(Number));
  if (!net.isIPv6(ip)) return "not an IP address";
  const g = ipv6Groups(ip);
  if (!g) return "not an IP address";
  const embedded = [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff];
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 8)) return "unspecified";
  if (zeros(0, 7) && g[7] === 1) return "loopback";
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64): judged as the IPv4 inside.
  if (zeros(0, 5) && g[5] === 0xffff) return v4Problem(embedded) ?? null;
  if (zeros(0, 6)) return v4Problem(embedded) ?? "reserved";
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4Problem(embedded) ?? null;
  if ((g[0]! & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0]! & 0xfe00) === 0xfc00) return "unique-local";
  if ((g[0]! & 0xff00) === 0xff00) return "multicast";
  if ((g[0]! & 0xffc0) === 0xfec0) return "site-local";
  if (g[0] === 0x2001 && g[1] === 0xdb8) return "documentation";
  return null;
}

export type UrlVerdict =
  { ok: true; url: URL; host: string; literal: boolean } | { ok: false; reason: string };

/**
 * The URL-level rules, before any lookup: https (http only with `allowPrivate`), no credentials
 * in the URL, and an IP-literal host must be public unless `allowPrivate`.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "not a URL" };
  }
  if (url.protocol !== "https:" && !(allowPrivate && url.protocol === "http:"))
    return { ok: false, reason: "https only" };
  if (url.username || url.password) return { ok: false, reason: "no credentials in the URL" };
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) return { ok: false, reason: "no host" };
  const literal = net.isIP(host) !== 0;
  if (literal && !allowPrivate) {
    const why = addressProblem(host);
    if (why) return { ok: false, reason: `${why} address` };
  }
  return { ok: true, url, host, literal };
}

/** The resolved addresses are all acceptable (every one: a resolver may hand out any of them). */
export function resolvedProblem(addresses: readonly string[], allowPrivate: boolean): string | null {
  if (addresses.length === 0) return "does not resolve";
  if (allowPrivate) return null;
  for (const a of addresses) {
    const why = addressProblem(a);
    if (why) return `resolves to a ${why} address`;
  }
  return null;
}
