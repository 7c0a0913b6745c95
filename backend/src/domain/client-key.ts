/**
 * The key a client address is rate-limited under. An IPv4 address (also written IPv4-mapped, as
 * Node reports it on a dual-stack socket) is itself; an IPv6 address counts as its /64, the block
 * one subscriber usually gets, so rotating through it buys no fresh budget. Anything else is used
 * as given.
 */
function expandIPv6(ip: string): string[] | null {
  const [head, tail, ...rest] = ip.split("::");
  if (rest.length) return null;
  const parse = (s: string | undefined) => (s ? s.split(":") : []);
  const left = parse(head);
  const right = parse(tail);
  if (tail === undefined) return left.length === 8 ? left : null;
  const zeros = 8 - left.length - right.length;
  return zeros >= 0 ? [...left, ...Array<string>(zeros).fill("0"), ...right] : null;
}

export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const groups = address.includes(":") ? expandIPv6(address.split("%")[0]!) : null;
  if (!groups || !groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return address;
  return (
    groups
      .slice(0, 4)
      .map((g) => parseInt(g, 16).toString(16))
      .join(":") + "::/64"
  );
}
