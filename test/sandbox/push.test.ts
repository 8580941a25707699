import { XMLParser } from 'fast-xml-parser';
import { decryptMessage, encryptMessage, sha1Signature } from '../../functions/dev/sandbox';
import { classicToken, decrypt, useSandbox, sendText, sha1Sorted, startReceiver, type Received } from './helpers';

const USER = 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY';
const TOKEN = 'AAAAA';
const KEY = 'A'.repeat(43);

const xml = new XMLParser({ parseTagValue: false, ignoreDeclaration: true });
const parseXml = (text: string): Record<string, any> => (xml.parse(text) as { xml: Record<string, any> }).xml;

/** Checks the plain signature of a push and returns its query. */
function verifiedQuery(r: Received): Record<string, string> {
  const q = Object.fromEntries(r.url.searchParams);
  expect(q.signature).toBe(sha1Sorted(TOKEN, q.timestamp as string, q.nonce as string));
  return q;
}

describe('the official worked example (docs/wechat-reference.md)', () => {
  const encrypt =
    '+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=';

  it('signs the plain GET and the safe-mode POST like WeChat', () => {
    // act / assess
    expect(sha1Signature(TOKEN, '1714036504', '1514711492')).toBe('f464b24fc39322e44b38aa78f5edd27bd1441696');
    expect(sha1Signature(TOKEN, '1714112445', '415670741')).toBe('6c5c811b55cc85e0e1b54100749188c20beb3f5d');
    expect(sha1Signature(TOKEN, '1714112445', '415670741', encrypt)).toBe('046e02f8204d34f8ba5fa3b1db94908f3df2e9b3');
  });

  it('decrypts the given Encrypt to the given JSON and appid', () => {
    // act
    const ours = decryptMessage(KEY, encrypt);
    const independent = decrypt(KEY, encrypt);

    // assess
    const expected =
      '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}';
    expect(ours).toEqual({ message: expected, appId: 'wxba5fad812f8e6fb9' });
    expect(independent.message).toBe(expected);
  });

  it("encrypts to WeChat's layout, padded to a multiple of 32 bytes", () => {
    // prepare
    const random = Buffer.alloc(16, 7);
    const message =
      '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}';

    // act
    const encrypted = encryptMessage(KEY, 'wxba5fad812f8e6fb9', message, random);
    const back = decrypt(KEY, encrypted);

    // assess
    expect(back.message).toBe(message);
    expect(back.appId).toBe('wxba5fad812f8e6fb9');
    expect(back.padded % 32).toBe(0);
  });
});

describe('sandbox pushes', () => {
  const { sandbox, clock } = useSandbox({ appId: 'wxba5fad812f8e6fb9', pushTimeoutMs: 200 });
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    sandbox.configureCallback(undefined);
    await receiver.stop();
  });

  it('pushes a text in plain XML, signed', async () => {
    // prepare
    sandbox.configureCallback({ url: receiver.url, token: TOKEN });

    // act
    const result = await sandbox.simulateUser(USER, { type: 'text', content: '你好 ]]> <b>' });

    // assess
    expect(result).toMatchObject({ delivered: true, status: 200, body: 'success', attempts: 1 });
    const [r] = receiver.received;
    const q = verifiedQuery(r as Received);
    expect(q.openid).toBe(USER);
    expect(q.timestamp).toBe(String(Math.floor(clock.t / 1000)));
    expect(q.encrypt_type).toBeUndefined();
    expect(r?.headers['content-type']).toBe('text/xml');
    expect(r?.body).toContain('<CreateTime>' + String(Math.floor(clock.t / 1000)) + '</CreateTime>');
    const fields = parseXml(r?.body as string);
    expect(fields).toEqual({
      ToUserName: 'gh_sandbox',
      FromUserName: USER,
      CreateTime: String(Math.floor(clock.t / 1000)),
      MsgType: 'text',
      Content: '你好 ]]> <b>',
      MsgId: result.message.MsgId,
    });
    expect(result.message.MsgId).toMatch(/^\d{16}$/);
  });

  it('pushes in safe mode: only ToUserName and Encrypt, msg_signature over Encrypt', async () => {
    // prepare
    sandbox.configureCallback({ url: receiver.url, token: TOKEN, encodingAesKey: KEY, mode: 'safe' });

    // act
    const result = await sandbox.simulateUser(USER, { type: 'event', event: 'scancode_push', eventKey: 'SCAN_1' });

    // assess
    expect(result.delivered).toBe(true);
    const r = receiver.received[0] as Received;
    const q = verifiedQuery(r);
    const outer = parseXml(r.body);
    expect(Object.keys(outer).sort()).toEqual(['Encrypt', 'ToUserName']);
    expect(q.encrypt_type).toBe('aes');
    expect(q.msg_signature).toBe(sha1Sorted(TOKEN, q.timestamp as string, q.nonce as string, outer.Encrypt));
    const inner = decrypt(KEY, outer.Encrypt);
    expect(inner.appId).toBe('wxba5fad812f8e6fb9');
    expect(parseXml(inner.message)).toMatchObject({
      ToUserName: 'gh_sandbox',
      FromUserName: USER,
      MsgType: 'event',
      Event: 'scancode_push',
      EventKey: 'SCAN_1',
      ScanCodeInfo: { ScanType: 'qrcode', ScanResult: 'sandbox' },
    });
  });

  it('pushes in safe mode as JSON', async () => {
    // prepare
    sandbox.configureCallback({ url: receiver.url, token: TOKEN, encodingAesKey: KEY, format: 'json' });

    // act
    const result = await sandbox.simulateUser(USER, { type: 'menuReply', menuId: '101', content: 'Yes' });

    // assess
    const r = receiver.received[0] as Received;
    const q = verifiedQuery(r);
    const outer = JSON.parse(r.body) as Record<string, string>;
    expect(Object.keys(outer).sort()).toEqual(['Encrypt', 'ToUserName']);
    expect(q.msg_signature).toBe(sha1Sorted(TOKEN, q.timestamp as string, q.nonce as string, outer.Encrypt as string));
    const inner = JSON.parse(decrypt(KEY, outer.Encrypt as string).message) as Record<string, unknown>;
    expect(inner).toEqual({
      ToUserName: 'gh_sandbox',
      FromUserName: USER,
      CreateTime: Math.floor(clock.t / 1000),
      MsgType: 'text',
      Content: 'Yes',
      MsgId: Number(result.message.MsgId),
      bizmsgmenuid: '101',
    });
    expect(String(inner.MsgId)).toBe(result.message.MsgId);
  });

  it('pushes in compatible mode: plain fields beside Encrypt', async () => {
    // prepare
    sandbox.configureCallback({ url: receiver.url, token: TOKEN, encodingAesKey: KEY, mode: 'compatible' });

    // act
    await sandbox.simulateUser(USER, { type: 'event', event: 'subscribe' });

    // assess
    const r = receiver.received[0] as Received;
    const q = verifiedQuery(r);
    const fields = parseXml(r.body);
    expect(fields).toMatchObject({ MsgType: 'event', Event: 'subscribe', FromUserName: USER });
    expect(q.msg_signature).toBe(sha1Sorted(TOKEN, q.timestamp as string, q.nonce as string, fields.Encrypt));
    expect(parseXml(decrypt(KEY, fields.Encrypt).message)).toMatchObject({ Event: 'subscribe' });
  });

  it('tries three times in all on non-2xx answers', async () => {
    // prepare
    await receiver.stop();
    receiver = await startReceiver((_r, n, res) => {
      res.writeHead(n < 3 ? 500 : 200);
      res.end(n < 3 ? 'busy' : '');
    });
    sandbox.configureCallback({ url: receiver.url, token: TOKEN });

    // act
    const result = await sandbox.simulateUser(USER, { type: 'voice' });

    // assess
    expect(result).toMatchObject({ delivered: true, status: 200, body: '', attempts: 3 });
    expect(result.tries.map((t) => t.status)).toEqual([500, 500, 200]);
    expect(receiver.received).toHaveLength(3);
  });

  it('gives up after three tries, and retries when no answer comes in time', async () => {
    // prepare
    await receiver.stop();
    receiver = await startReceiver((_r, n, res) => {
      if (n === 1) return; // never answers: the sandbox times out
      res.writeHead(503);
      res.end();
    });
    sandbox.configureCallback({ url: receiver.url, token: TOKEN });

    // act
    const result = await sandbox.simulateUser(USER, { type: 'location' });

    // assess
    expect(result.delivered).toBe(false);
    expect(result.attempts).toBe(3);
    expect(result.tries.map((t) => t.error ?? t.status)).toEqual(['timeout', 503, 503]);
  });

  it('records the interaction without a callback, and the window opens either way', async () => {
    // act
    const result = await sandbox.simulateUser(USER, { type: 'text', content: 'hi' });
    const answer = await sendText(sandbox, await classicToken(sandbox), USER);

    // assess
    expect(result).toMatchObject({ delivered: false, attempts: 0, message: { MsgType: 'text', Content: 'hi', FromUserName: USER } });
    expect(answer.errcode).toBe(0);
  });
});

// The URL check on its own sandbox with the default 5 s answer deadline: the deadline is not what is
// tested here, and the 200 ms of the block above (which its timeout test needs) can pass on a loaded machine.
describe('sandbox URL check', () => {
  const { sandbox } = useSandbox({ appId: 'wxba5fad812f8e6fb9', pushTimeoutMs: 5000 });
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  afterEach(async () => {
    sandbox.configureCallback(undefined);
    await receiver?.stop();
  });

  it('makes the echostr URL check', async () => {
    // prepare
    receiver = await startReceiver((r, _n, res) => {
      const q = r.url.searchParams;
      const ok = q.get('signature') === sha1Sorted(TOKEN, q.get('timestamp') ?? '', q.get('nonce') ?? '');
      res.writeHead(ok ? 200 : 401);
      res.end(ok ? q.get('echostr') : 'bad signature');
    });
    sandbox.configureCallback({ url: receiver.url, token: TOKEN });

    // act
    const verification = await sandbox.verifyCallback();

    // assess
    expect(verification.ok).toBe(true);
    expect(receiver.received[0]?.method).toBe('GET');
  });
});
