/**
 * DNS resolution that refuses forbidden addresses: used once when a URL is accepted, and as the `lookup`
 * of the very connection that is made to it, so the address connected to is an address that was checked.
 *
 * @example
 * ```ts
 * https.request(url, { lookup: guardedLookup('public') });
 * await resolveChecked('hooks.example.com', 'public'); // ['93.184.216.34'] or throws ForbiddenAddressError
 * ```
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'dns';
import { isIP, type LookupFunction } from 'net';
import { forbiddenAddressReason } from './addresses';

/**
 * `public`: only public unicast addresses (the deployed stack); `any`: no check (running locally); or a
 * function saying why an address is refused (e.g. {@link linkLocalAddressReason}: loopback and private
 * allowed, link-local and metadata never).
 */
export type AddressPolicy = 'public' | 'any' | ((address: string) => string | undefined);

/** A host name resolved to (or is) an address the product must not connect to. */
export class ForbiddenAddressError extends Error {
  override readonly name = 'ForbiddenAddressError';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(host === address ? `${address} ${reason}` : `${host} resolves to ${address}, which ${reason}`);
  }
}

/** The host name could not be resolved. */
export class UnresolvableHostError extends Error {
  override readonly name = 'UnresolvableHostError';
  constructor(
    readonly host: string,
    cause: string,
  ) {
    super(`${host} does not resolve (${cause})`);
  }
}

/** Resolves a host name to every address it has. */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true } as LookupAllOptions, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/** `[::1]` → `::1`: URL host names keep IPv6 literals in brackets. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Every address `host` resolves to, each checked against the policy: one forbidden address refuses the
 * host (a name with one public and one internal address could be steered to the internal one).
 *
 * @throws {ForbiddenAddressError} when any address is forbidden.
 * @throws {UnresolvableHostError} when the name does not resolve.
 * @example
 * ```ts
 * await resolveChecked('localhost', 'public'); // throws: localhost resolves to 127.0.0.1, which is a loopback address
 * ```
 */
export async function resolveChecked(host: string, policy: AddressPolicy, resolver: Resolver = systemResolver): Promise<LookupAddress[]> {
  const name = unbracket(host);
  let addresses: LookupAddress[];
  if (isIP(name)) addresses = [{ address: name, family: isIP(name) }];
  else {
    try {
      addresses = await resolver(name);
    } catch (error) {
      throw new UnresolvableHostError(name, (error as { code?: string }).code ?? (error as Error).message);
    }
    if (addresses.length === 0) throw new UnresolvableHostError(name, 'no addresses');
  }
  const check = policy === 'public' ? forbiddenAddressReason : policy === 'any' ? undefined : policy;
  if (check) {
    for (const a of addresses) {
      const reason = check(a.address);
      if (reason) throw new ForbiddenAddressError(name, a.address, reason);
    }
  }
  return addresses;
}

/**
 * A `lookup` for `http.request` / `net.connect` that resolves with {@link resolveChecked}: the socket
 * connects only to addresses that passed the policy.
 *
 * @example
 * ```ts
 * http.request({ host, port, path, lookup: guardedLookup('public') });
 * ```
 */
export function guardedLookup(policy: AddressPolicy, resolver: Resolver = systemResolver): LookupFunction {
  return ((
    hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    resolveChecked(hostname, policy, resolver).then(
      (addresses) => {
        if (options?.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: Error) => callback(error, ''),
    );
  }) as unknown as LookupFunction;
}
