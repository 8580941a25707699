/**
 * functions/core/net: which addresses a user-supplied URL may reach, and the checked resolution.
 */
import {
  embeddedIpv4,
  forbiddenAddressReason,
  guardedLookup,
  isLoopbackAddress,
  resolveChecked,
  ForbiddenAddressError,
  UnresolvableHostError,
} from '../../functions/core/net';

describe('forbiddenAddressReason', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['0.0.0.0', 'this network'],
    ['169.254.169.254', 'metadata'],
    ['169.254.10.10', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique local'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:0a00:0001::', 'private'],
    ['not-an-ip', 'not an IP address'],
  ])('refuses %s (%s)', (address, what) => {
    // Act
    const reason = forbiddenAddressReason(address);
    // Assess
    expect(reason).toContain(what);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'lets the public address %s through',
    (address) => {
      expect(forbiddenAddressReason(address)).toBeUndefined();
    },
  );

  it('reads the IPv4 address inside IPv6 forms', () => {
    expect(embeddedIpv4('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(embeddedIpv4('2002:c0a8:0101::1')).toBe('192.168.1.1');
    expect(embeddedIpv4('2606:4700::1')).toBeUndefined();
  });

  it('tells loopback addresses', () => {
    expect(isLoopbackAddress('127.0.0.1')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('10.0.0.1')).toBe(false);
  });
});

describe('resolveChecked and guardedLookup', () => {
  const resolver = (answers: Record<string, string[]>) => async (host: string) => {
    const list = answers[host];
    if (!list) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

  it('refuses a name when any one of its addresses is internal', async () => {
    // Prepare
    const resolve = resolver({ 'mixed.example': ['93.184.216.34', '10.0.0.5'] });
    // Act + Assess
    await expect(resolveChecked('mixed.example', 'public', resolve)).rejects.toThrow(ForbiddenAddressError);
    await expect(resolveChecked('mixed.example', 'public', resolve)).rejects.toThrow(
      'mixed.example resolves to 10.0.0.5, which is a private address',
    );
  });

  it('accepts any address under the local policy, and says when a name does not resolve', async () => {
    const resolve = resolver({ 'intranet.example': ['10.0.0.5'] });
    await expect(resolveChecked('intranet.example', 'any', resolve)).resolves.toEqual([{ address: '10.0.0.5', family: 4 }]);
    await expect(resolveChecked('missing.example', 'public', resolve)).rejects.toThrow(UnresolvableHostError);
  });

  it('checks IP literals without resolving them, brackets included', async () => {
    await expect(resolveChecked('[::1]', 'public')).rejects.toThrow('::1 is the loopback address');
    await expect(resolveChecked('8.8.8.8', 'public')).resolves.toEqual([{ address: '8.8.8.8', family: 4 }]);
  });

  it('makes a socket lookup fail for a forbidden address, so the connection is never made', async () => {
    // Prepare
    const lookup = guardedLookup('public', resolver({ 'rebound.example': ['169.254.169.254'] }));
    // Act
    const error = await new Promise<Error | null>((resolve) => (lookup as any)('rebound.example', {}, (e: Error | null) => resolve(e)));
    // Assess
    expect(error).toBeInstanceOf(ForbiddenAddressError);
    expect(error!.message).toContain('cloud metadata address');
  });
});
