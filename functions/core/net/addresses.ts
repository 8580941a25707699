/**
 * Which IP addresses the product may connect to when the address comes from a user (a webhook URL, a
 * media URL): server-side request forgery is refused by checking every address a host name resolves to,
 * and again on the connection itself (see {@link guardedLookup}), so a DNS answer that changes between the
 * check and the connect (rebinding) cannot reach an internal address.
 *
 * The ranges are IANA's special-purpose registries (RFC 6890 and its updates): loopback, private
 * (RFC 1918, RFC 4193), link-local (with the cloud metadata address 169.254.169.254 and
 * fd00:ec2::254), carrier-grade NAT, documentation, benchmarking, multicast and reserved space, and the
 * IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are checked as that IPv4 address.
 * docs/webhooks.md (section "Which URLs are accepted") lists them.
 *
 * @example
 * ```ts
 * forbiddenAddressReason('10.0.0.7');        // 'is a private address (10.0.0.0/8)'
 * forbiddenAddressReason('169.254.169.254'); // 'is the cloud metadata address'
 * forbiddenAddressReason('93.184.216.34');   // undefined: public
 * ```
 */
import { BlockList, isIP } from 'net';

interface Range {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
  what: string;
}

const RANGES: Range[] = [
  { network: '0.0.0.0', prefix: 8, family: 'ipv4', what: '"this network" (0.0.0.0/8)' },
  { network: '10.0.0.0', prefix: 8, family: 'ipv4', what: 'a private address (10.0.0.0/8)' },
  { network: '100.64.0.0', prefix: 10, family: 'ipv4', what: 'a carrier-grade NAT address (100.64.0.0/10)' },
  { network: '127.0.0.0', prefix: 8, family: 'ipv4', what: 'a loopback address (127.0.0.0/8)' },
  { network: '169.254.0.0', prefix: 16, family: 'ipv4', what: 'a link-local address (169.254.0.0/16)' },
  { network: '172.16.0.0', prefix: 12, family: 'ipv4', what: 'a private address (172.16.0.0/12)' },
  { network: '192.0.0.0', prefix: 24, family: 'ipv4', what: 'an IETF protocol address (192.0.0.0/24)' },
  { network: '192.0.2.0', prefix: 24, family: 'ipv4', what: 'a documentation address (192.0.2.0/24)' },
  { network: '192.88.99.0', prefix: 24, family: 'ipv4', what: 'a 6to4 relay address (192.88.99.0/24)' },
  { network: '192.168.0.0', prefix: 16, family: 'ipv4', what: 'a private address (192.168.0.0/16)' },
  { network: '198.18.0.0', prefix: 15, family: 'ipv4', what: 'a benchmarking address (198.18.0.0/15)' },
  { network: '198.51.100.0', prefix: 24, family: 'ipv4', what: 'a documentation address (198.51.100.0/24)' },
  { network: '203.0.113.0', prefix: 24, family: 'ipv4', what: 'a documentation address (203.0.113.0/24)' },
  { network: '224.0.0.0', prefix: 4, family: 'ipv4', what: 'a multicast address (224.0.0.0/4)' },
  { network: '240.0.0.0', prefix: 4, family: 'ipv4', what: 'a reserved address (240.0.0.0/4)' },
  { network: '::', prefix: 128, family: 'ipv6', what: 'the unspecified address (::)' },
  { network: '::1', prefix: 128, family: 'ipv6', what: 'the loopback address (::1)' },
  { network: '100::', prefix: 64, family: 'ipv6', what: 'a discard address (100::/64)' },
  { network: '2001::', prefix: 23, family: 'ipv6', what: 'an IETF protocol address (2001::/23)' },
  { network: '2001:db8::', prefix: 32, family: 'ipv6', what: 'a documentation address (2001:db8::/32)' },
  { network: 'fc00::', prefix: 7, family: 'ipv6', what: 'a unique local (private) address (fc00::/7)' },
  { network: 'fe80::', prefix: 10, family: 'ipv6', what: 'a link-local address (fe80::/10)' },
  { network: 'fec0::', prefix: 10, family: 'ipv6', what: 'a site-local address (fec0::/10)' },
  { network: 'ff00::', prefix: 8, family: 'ipv6', what: 'a multicast address (ff00::/8)' },
];

const METADATA = new Set(['169.254.169.254', '169.254.170.2', '169.254.169.253', '100.100.100.200', 'fd00:ec2::254', 'fd00:ec2::23']);

let blockList: BlockList | undefined;
function ranges(): BlockList {
  if (!blockList) {
    blockList = new BlockList();
    for (const r of RANGES) blockList.addSubnet(r.network, r.prefix, r.family);
  }
  return blockList;
}

function rangeOf(address: string, family: 'ipv4' | 'ipv6'): Range | undefined {
  // BlockList answers yes/no; the loop (24 entries) finds which range, for the message.
  for (const r of RANGES) {
    if (r.family !== family) continue;
    const one = new BlockList();
    one.addSubnet(r.network, r.prefix, r.family);
    if (one.check(address, family)) return r;
  }
  return undefined;
}

/** Expands an IPv6 address to its 8 groups of 16 bits. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const parts = tail[1]!.split('.').map(Number);
    text =
      text.slice(0, -tail[1]!.length) + `${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const missing = rest === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array(missing).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped, IPv4-compatible, NAT64, 6to4), if any. */
export function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return v4(g[6]!, g[7]!); // ::ffff:a.b.c.d
  if (zeros(0, 6) && (g[6] !== 0 || g[7]! > 1)) return v4(g[6]!, g[7]!); // ::a.b.c.d (deprecated)
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4(g[6]!, g[7]!); // 64:ff9b::/96 NAT64
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!); // 6to4
  return undefined;
}

/**
 * Why the product must not connect to `address` on a user's behalf, or `undefined` when it is a public
 * unicast address. Anything that is not an IP address is refused too.
 *
 * @example
 * ```ts
 * forbiddenAddressReason('::ffff:127.0.0.1'); // 'is a loopback address (127.0.0.0/8)'
 * ```
 */
export function forbiddenAddressReason(address: string): string | undefined {
  const version = isIP(address.replace(/%.*$/, ''));
  if (version === 0) return 'is not an IP address';
  const plain = address.replace(/%.*$/, '').toLowerCase();
  if (METADATA.has(plain)) return 'is the cloud metadata address';
  if (version === 6) {
    const v4 = embeddedIpv4(plain);
    if (v4) return forbiddenAddressReason(v4);
  }
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (!ranges().check(plain, family)) return undefined;
  return `is ${rangeOf(plain, family)?.what ?? 'a special-purpose address'}`;
}

/**
 * Whether an address is a loopback address (127.0.0.0/8, ::1, or ::ffff:127.x).
 *
 * @example
 * ```ts
 * isLoopbackAddress('127.0.0.1'); // true
 * ```
 */
export function isLoopbackAddress(address: string): boolean {
  const plain = address.replace(/%.*$/, '').toLowerCase();
  if (plain === '::1') return true;
  const v4 = isIP(plain) === 6 ? embeddedIpv4(plain) : plain;
  return v4 !== undefined && isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Why an address is refused even when private addresses are allowed (local runs and tests): link-local
 * and cloud metadata addresses, which hold credentials even on a developer's machine. Undefined otherwise.
 *
 * @example
 * ```ts
 * linkLocalAddressReason('127.0.0.1');       // undefined
 * linkLocalAddressReason('169.254.169.254'); // 'is the cloud metadata address'
 * ```
 */
export function linkLocalAddressReason(address: string): string | undefined {
  const reason = forbiddenAddressReason(address);
  return reason !== undefined && (reason.includes('metadata') || reason.includes('link-local') || reason.includes('not an IP'))
    ? reason
    : undefined;
}
