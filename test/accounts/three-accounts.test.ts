/**
 * Issue 27's proof, on one machine: `npm start` with three sandbox accounts (the sandbox's default one and
 * two from SANDBOX_ACCOUNTS). Each account's user writes in through the sandbox, which pushes to that
 * account's own /callback/{appId}; sends, typing, media and handoff work per account at /accounts/{appId}/…;
 * each account's token is fetched once; and every DynamoDB request the product makes, seen on the wire
 * between the product and the embedded DynamoDB, keys a user's records by that user's own account.
 * Then the refusals: A's send to B's user, a push to A's callback signed with B's token, an unknown account.
 */
import { createServer, request as httpRequest, type Server } from 'http';
import type { AddressInfo } from 'net';
import { startEmbeddedDynamo } from '../../functions/store';
import { createOperationHandler } from '../../functions/lambda/operation-handler';
import { buildPush } from '../support/push';
import { eventBridgeEvent } from '../support/aws-events';
import { jpeg } from '../support/media-samples';
import { callProduct, useLocalProduct } from '../support/local-product';

const A = { appId: 'wxaaaaaaaaaaaaaaaa', appSecret: 'secretOfAccountA7c1', token: 'tokenOfA2026' };
const B = { appId: 'wxbbbbbbbbbbbbbbbb', appSecret: 'secretOfAccountB7c1', token: 'tokenOfB2026' };

/** A DynamoDB endpoint in front of dynalite that keeps every request's JSON (the SDK's wire format). */
async function recordingDynamo(): Promise<{ endpoint: string; requests: string[]; stop(): Promise<void> }> {
  const dynamo = await startEmbeddedDynamo();
  const target = new URL(dynamo.endpoint);
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push(body.toString('utf8'));
      const forward = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamo.stop();
    },
  };
}

/** Every key-like string of a DynamoDB request (`WINDOW#wx…#openid`, …). */
function keyStrings(body: string): string[] {
  const out: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') {
      if (value.includes('#')) out.push(value);
    } else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v);
  };
  walk(JSON.parse(body || '{}'));
  return out;
}

describe('three official accounts in one npm start', () => {
  const env: NodeJS.ProcessEnv = { SANDBOX_ACCOUNTS: `${A.appId}:${A.appSecret}:${A.token},${B.appId}:${B.appSecret}:${B.token}` };
  let dynamo: Awaited<ReturnType<typeof recordingDynamo>>;
  beforeAll(async () => {
    dynamo = await recordingDynamo();
    env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  });
  const product = useLocalProduct('wechat-kf-three-accounts-', { env });
  afterAll(async () => dynamo?.stop());

  const accounts = () => [
    { appId: product.sandbox!.appId, prefix: '', openid: 'o_user_of_default' },
    { appId: A.appId, prefix: `/accounts/${A.appId}`, openid: 'o_user_of_a' },
    { appId: B.appId, prefix: `/accounts/${B.appId}`, openid: 'o_user_of_b' },
  ];
  const sandboxCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${product.sandbox!.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as any;
  };
  const userWrites = (appId: string, openid: string, content: string) =>
    sandboxCall('POST', `/sandbox/users/${openid}/messages?appId=${appId}`, { content });
  const received = async (appId: string, openid: string) =>
    (await sandboxCall('GET', `/sandbox/messages?appId=${appId}&openid=${openid}`)).messages as Array<Record<string, any>>;

  test('npm start lists the three accounts, each with its own callback', async () => {
    // Act
    const list = await callProduct(product, 'GET', '/accounts');

    // Assess
    expect(list.json.accounts.map((a: any) => [a.appId, a.default, a.callbackPath])).toEqual([
      [product.sandbox!.appId, true, '/callback'],
      [A.appId, false, `/callback/${A.appId}`],
      [B.appId, false, `/callback/${B.appId}`],
    ]);
    for (const secret of [A.appSecret, B.appSecret, A.token, B.token]) expect(list.text).not.toContain(secret);
  });

  test('each account: its user writes in, and the product sends, types, uploads and hands off for that account only', async () => {
    for (const { appId, prefix, openid } of accounts()) {
      // Act
      await userWrites(appId, openid, `hello from a user of ${appId}`);
      const state = await callProduct(product, 'GET', `${prefix}/interactions/${openid}`);
      const sent = await callProduct(
        product,
        'POST',
        `${prefix}/messages/text`,
        { touser: openid, text: { content: `answer of ${appId}` } },
        { 'idempotency-key': 'one-key-for-every-account' },
      );
      const typing = await callProduct(product, 'POST', `${prefix}/typing`, { touser: openid, command: 'Typing' });
      const form = new FormData();
      form.append('type', 'image');
      form.append('media', new Blob([new Uint8Array(jpeg())], { type: 'image/jpeg' }), 'photo.jpg');
      const media = await callProduct(product, 'POST', `${prefix}/media`, form);
      const handoff = await callProduct(product, 'POST', `${prefix}/handoff`, { openid });
      const mark = await callProduct(product, 'GET', `${prefix}/handoff/${openid}`);
      const deliveries = await callProduct(product, 'GET', `${prefix}/deliveries?openid=${openid}`);

      // Assess
      expect(state.json).toMatchObject({ openid, canSend: true, lastInteractionKind: 'message' });
      expect(sent.status).toBe(200);
      expect((await received(appId, openid)).map((m) => m.body?.text?.content)).toEqual([`answer of ${appId}`]);
      expect(typing.status).toBe(200);
      expect(media.status).toBe(200);
      expect(media.json.media_id).toEqual(expect.any(String));
      expect(handoff.status).toBe(200);
      expect(mark.json.openid).toBe(openid);
      expect(deliveries.json.deliveries.map((d: any) => [d.openid, d.outcome])).toEqual([[openid, 'sent']]);
    }
    // One Idempotency-Key from three accounts' callers was three requests: each user got their answer (above).
    // Each account's token was fetched once, with its own AppID.
    const tokenCalls = [...product.sandbox!.requests('/cgi-bin/stable_token'), ...product.sandbox!.requests('/cgi-bin/token')];
    for (const { appId } of accounts()) expect(tokenCalls.filter((r) => r.appId === appId)).toHaveLength(1);
  });

  test("no DynamoDB request keys one account's user under another account's AppID", () => {
    // Prepare
    const all = accounts();
    const seen = new Map(all.map((a) => [a.openid, 0]));

    // Act
    const offending: string[] = [];
    for (const body of dynamo.requests) {
      for (const key of keyStrings(body)) {
        for (const { appId, openid } of all) {
          if (!key.includes(openid)) continue;
          seen.set(openid, seen.get(openid)! + 1);
          const others = all.filter((o) => o.appId !== appId && key.includes(o.appId));
          if (!key.includes(appId) || others.length > 0) offending.push(key);
        }
      }
    }

    // Assess: every user's records were read and written, each under its own account's AppID only
    expect(offending).toEqual([]);
    for (const { openid } of all) expect(seen.get(openid)).toBeGreaterThan(5);
  });

  test('a user of one account has no window or mark at another', async () => {
    // Act
    const [, a, b] = accounts();
    const elsewhere = await callProduct(product, 'GET', `${b!.prefix}/interactions/${a!.openid}`);
    const markElsewhere = await callProduct(product, 'GET', `/handoff/${b!.openid}`);

    // Assess
    expect(elsewhere.json).toMatchObject({ lastInteractionAt: null, canSend: false });
    expect(markElsewhere.status).toBe(404);
  });

  test("A's send to B's user is refused by A's own window, before WeChat is called", async () => {
    // Prepare
    const before = product.sandbox!.requests('/cgi-bin/message/custom/send').length;

    // Act
    const refused = await callProduct(product, 'POST', `/accounts/${A.appId}/messages/text`, {
      touser: 'o_user_of_b',
      text: { content: 'x' },
    });

    // Assess
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('SEND_WINDOW_CLOSED');
    expect(product.sandbox!.requests('/cgi-bin/message/custom/send')).toHaveLength(before);
  });

  test("a push to A's callback signed with B's token is refused, and nothing is recorded", async () => {
    // Prepare
    const message = {
      ToUserName: 'gh_0',
      FromUserName: 'o_forged',
      CreateTime: Math.floor(Date.now() / 1000),
      MsgType: 'text',
      Content: 'x',
      MsgId: '1',
    };
    const push = buildPush({ message, token: B.token });

    // Act
    const forged = await callProduct(product, 'POST', `/callback/${A.appId}?${new URLSearchParams(push.query)}`, push.body, {
      'content-type': 'text/xml',
    });
    const state = await callProduct(product, 'GET', `/accounts/${A.appId}/interactions/o_forged`);

    // Assess
    expect(forged.status).toBe(401);
    expect(state.json.lastInteractionAt).toBeNull();
  });

  test('an EventBridge event names its account in the detail; an unknown account is refused as such', async () => {
    // Prepare
    const handler = createOperationHandler('sendText', async () => product.context);
    await userWrites(B.appId, 'o_event_user_of_b', 'hi');

    // Act
    await handler(
      eventBridgeEvent('evt-b-1', 'sendText', { appId: B.appId, touser: 'o_event_user_of_b', text: { content: 'from an event' } }),
    );
    const unknown = await handler(
      eventBridgeEvent('evt-x-1', 'sendText', { appId: 'wxdddddddddddddddd', touser: 'o1', text: { content: 'x' } }),
    ).catch((error: unknown) => error);

    // Assess
    expect((await received(B.appId, 'o_event_user_of_b')).map((m) => m.body?.text?.content)).toEqual(['from an event']);
    expect(unknown).toMatchObject({ code: 'ACCOUNT_NOT_FOUND', status: 404 });
  });
});
