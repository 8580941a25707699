/**
 * functions/core/webhooks: the delivery signature, the events filter and the URL rules.
 */
import { createHmac } from 'crypto';
import { SignatureError } from '../../functions/core/errors';
import {
  checkWebhookUrl,
  matchesEvents,
  parseEventPatterns,
  signDelivery,
  signatureOf,
  verifyDelivery,
} from '../../functions/core/webhooks';

const SECRET = 'whsec_test_secret';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('the delivery signature', () => {
  it('is v1= and the hex HMAC-SHA256 of "<timestamp>.<body>"', () => {
    // Prepare
    const body = '{"id":"evt_1"}';
    // Act
    const headers = signDelivery({ secret: SECRET, eventId: 'evt_1', body, now: NOW });
    // Assess: recomputed independently of the product's helper
    const timestamp = String(Math.floor(NOW / 1000));
    const expected = createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex');
    expect(headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'x-wechat-kf-event-id': 'evt_1',
      'x-wechat-kf-timestamp': timestamp,
      'x-wechat-kf-signature': `v1=${expected}`,
    });
  });

  it('verifies a genuine delivery, whatever the header case', () => {
    const body = '{"a":1}';
    const headers = signDelivery({ secret: SECRET, eventId: 'evt_2', body, now: NOW });
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyDelivery({ secret: SECRET, headers: upper, body, now: NOW + 10_000 })).toEqual({
      eventId: 'evt_2',
      timestamp: Math.floor(NOW / 1000),
    });
  });

  it.each([
    ['a changed body', (h: Record<string, string>) => h, '{"a":2}', NOW, 'does not match'],
    [
      'another secret',
      (h: Record<string, string>) => ({ ...h, 'x-wechat-kf-signature': signatureOf('other', h['x-wechat-kf-timestamp']!, '{"a":1}') }),
      '{"a":1}',
      NOW,
      'does not match',
    ],
    ['a stale timestamp', (h: Record<string, string>) => h, '{"a":1}', NOW + 301_000, 'more than 300 s'],
    ['a timestamp from the future', (h: Record<string, string>) => h, '{"a":1}', NOW - 301_000, 'more than 300 s'],
    ['no signature', (h: Record<string, string>) => ({ ...h, 'x-wechat-kf-signature': '' }), '{"a":1}', NOW, 'must carry the headers'],
    [
      'a timestamp that is not a number',
      (h: Record<string, string>) => ({ ...h, 'x-wechat-kf-timestamp': '12abc' }),
      '{"a":1}',
      NOW,
      'epoch seconds',
    ],
  ])('refuses %s', (_what, change, body, now, message) => {
    // Prepare
    const headers = change(signDelivery({ secret: SECRET, eventId: 'evt_3', body: '{"a":1}', now: NOW }));
    // Act + Assess
    expect(() => verifyDelivery({ secret: SECRET, headers, body, now })).toThrow(SignatureError);
    expect(() => verifyDelivery({ secret: SECRET, headers, body, now })).toThrow(message);
  });

  it('accepts any one of several v1 signatures (secret rotation)', () => {
    const body = '{}';
    const headers = signDelivery({ secret: SECRET, eventId: 'evt_4', body, now: NOW });
    headers['x-wechat-kf-signature'] = `v1=${'0'.repeat(64)}, ${headers['x-wechat-kf-signature']}`;
    expect(() => verifyDelivery({ secret: SECRET, headers, body, now: NOW })).not.toThrow();
  });
});

describe('the events filter', () => {
  it('defaults to every event and folds "*" into all', () => {
    expect(parseEventPatterns(undefined)).toEqual(['*']);
    expect(parseEventPatterns([])).toEqual(['*']);
    expect(parseEventPatterns(['message.text', '*'])).toEqual(['*']);
    expect(parseEventPatterns(['message.text', 'message.text', 'event.subscribe'])).toEqual(['message.text', 'event.subscribe']);
  });

  it('names each bad pattern', () => {
    expect(() => parseEventPatterns('message.text')).toThrow('events: must be an array');
    expect(() => parseEventPatterns(['message.text', 'message', 3])).toThrow(/events\[1\]: .*events\[2\]:/);
  });

  it('matches exact types and prefix wildcards', () => {
    expect(matchesEvents(['message.*'], 'message.text')).toBe(true);
    expect(matchesEvents(['message.*'], 'event.subscribe')).toBe(false);
    expect(matchesEvents(['event.subscribe'], 'event.subscribe')).toBe(true);
    expect(matchesEvents(['event.subscribe'], 'event.subscribed')).toBe(false);
    expect(matchesEvents(['*'], 'delivery.failed')).toBe(true);
    expect(matchesEvents(['delivery.*'], 'delivery.sent')).toBe(true);
  });
});

describe('the URL rules', () => {
  const resolver = async (host: string) => {
    const answers: Record<string, string[]> = {
      'hooks.example.com': ['93.184.216.34'],
      'internal.example.com': ['192.168.0.10'],
      localhost: ['127.0.0.1'],
    };
    if (!answers[host]) throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    return answers[host]!.map((address) => ({ address, family: 4 }));
  };
  const deployed = { addressPolicy: 'public' as const, resolver };
  const local = { addressPolicy: 'any' as const, allowLoopbackHttp: true, resolver };

  it('accepts an https URL of a public host when deployed', async () => {
    await expect(checkWebhookUrl('https://hooks.example.com/wechat?x=1', deployed)).resolves.toBeInstanceOf(URL);
  });

  it.each([
    [undefined, 'url: is required'],
    ['hooks.example.com/x', 'url: must be an absolute URL'],
    ['http://hooks.example.com/x', 'url: must use https'],
    ['ftp://hooks.example.com/x', 'url: must use https, not ftp'],
    ['https://user:pw@hooks.example.com/x', 'url: must not contain a user name or password'],
    ['https://internal.example.com/x', 'url: must reach a public address: internal.example.com resolves to 192.168.0.10'],
    ['https://169.254.169.254/latest/meta-data', 'cloud metadata address'],
    ['https://[::1]:8443/x', 'loopback'],
    ['https://nowhere.example.com/x', 'url: must have a host that resolves'],
    [`https://hooks.example.com/${'a'.repeat(2100)}`, 'at most 2048 characters'],
  ])('refuses %s when deployed', async (url, message) => {
    await expect(checkWebhookUrl(url, deployed)).rejects.toThrow(message);
  });

  it('accepts http only to loopback when running locally', async () => {
    await expect(checkWebhookUrl('http://127.0.0.1:5678/webhook/x', local)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl('http://localhost:5678/webhook/x', local)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl('http://hooks.example.com/x', local)).rejects.toThrow('http is accepted only for localhost');
    await expect(checkWebhookUrl('http://127.0.0.1:5678/webhook/x', deployed)).rejects.toThrow('url: must use https');
  });
});
