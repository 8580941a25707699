/**
 * Gateway mode's *Account* field (n8n-nodes/shared/accounts.ts, the one door: n8n-nodes/shared/gateway-door.ts),
 * built, on n8n-core's real engine, contexts and request helpers, with the requests recorded by a stand-in
 * for the deployed API behind the SigV4-checking authorizer (so every path, prefixed and percent-encoded,
 * is signed as API Gateway checks it):
 * - empty Account (as every workflow saved before accounts has it): exactly today's request, path and body;
 * - an account (By ID or From List): the same request under `/accounts/<appId>`, path parameters and
 *   query kept; a value that is not an AppID fails the item naming what to give, and nothing is sent;
 * - the accounts' own routes are never put under an account; version 1 and Direct mode have no Account;
 * - the trigger subscribes with `appIds: [<appId>]` with an account and without the field otherwise, and
 *   replaces a subscription made for another account;
 * - From List: the deployment's `GET /accounts`, the default first; the other lists are the account's.
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { getOperation } from '../../functions/core/catalogue';
import { signDelivery } from '../../functions/core/webhooks/signature';
import { callGatewayRoute } from '../../n8n-nodes/shared/gateway-door';
import { APP_B, startGatewayRecorder } from './gateway-recorder';
import { createHarness, loadPackage } from './harness';
import { GATEWAY_KEYS as KEYS, GATEWAY_REGION as REGION, startIamAuthorizer, type Authorizer } from './iam-authorizer';

const CRED = { weChatKfGatewayApi: { id: 'gw', name: 'Gateway' } };
const GATEWAY = { authentication: 'gateway' };
const byId = (value: string) => ({ __rl: true, mode: 'id', value });
const fromList = (value: string) => ({ __rl: true, mode: 'list', value });

let recorder: Awaited<ReturnType<typeof startGatewayRecorder>>;
let authorizer: Authorizer;
let harness: ReturnType<typeof createHarness>;
const description = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKf']!.description;
const triggerDescription = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!.description;

beforeAll(async () => {
  recorder = await startGatewayRecorder();
  authorizer = await startIamAuthorizer(recorder.url);
  harness = createHarness({
    credentials: { gw: { type: 'weChatKfGatewayApi', data: { url: authorizer.url, region: REGION, ...KEYS, sessionToken: '' } } },
  });
});
afterAll(async () => {
  await authorizer?.stop();
  recorder?.server.closeAllConnections();
  await new Promise((r) => recorder?.server.close(r));
});
beforeEach(() => {
  recorder.requests.length = 0;
  recorder.subscriptions.clear();
});

/** Runs the action node (version 2 unless told) and answers the requests it made. */
async function requestsOf(parameters: IDataObject, typeVersion = 2) {
  const before = recorder.requests.length;
  const result = await harness.run({ ...GATEWAY, ...parameters }, [{ json: {} }], CRED, { typeVersion });
  return { ...result, requests: recorder.requests.slice(before) };
}

const SEND_TEXT = { resource: 'message', operation: 'send', touser: 'oAccountUser1', msgtype: 'text', content: 'hello' };

describe('the action node with an Account', () => {
  it('sends exactly as before with no Account (a workflow saved before accounts) or an empty one', async () => {
    // Act
    const saved = await requestsOf(SEND_TEXT);
    const empty = await requestsOf({ ...SEND_TEXT, account: fromList('') });
    const emptyById = await requestsOf({ ...SEND_TEXT, account: byId('  ') });
    // Assess
    expect(saved.error).toBeUndefined();
    expect(saved.requests).toEqual([
      { method: 'POST', path: '/messages/text', query: '', body: { touser: 'oAccountUser1', msgtype: 'text', text: { content: 'hello' } } },
    ]);
    expect(empty.requests).toEqual(saved.requests);
    expect(emptyById.requests).toEqual(saved.requests);
    expect(authorizer.refused).toEqual([]);
  });

  it('puts every request under /accounts/<appId> with the same body, By ID or From List', async () => {
    // Act
    const plain = await requestsOf(SEND_TEXT);
    const typed = await requestsOf({ ...SEND_TEXT, account: byId(APP_B) });
    const picked = await requestsOf({ ...SEND_TEXT, account: fromList(APP_B) });
    // An expression that gave a plain AppID string
    const expression = await requestsOf({ ...SEND_TEXT, account: `  ${APP_B} ` });
    // Assess
    expect(typed.error).toBeUndefined();
    const expected = plain.requests.map((r) => ({ ...r, path: `/accounts/${APP_B}${r.path}` }));
    expect(typed.requests).toEqual(expected);
    expect(picked.requests).toEqual(expected);
    expect(expression.requests).toEqual(expected);
    expect(authorizer.refused).toEqual([]);
  });

  it('keeps path parameters (percent-encoded) and the query after the prefix', async () => {
    // Act
    const session = await requestsOf({ resource: 'kfSession', operation: 'get', openid: byId('o@1'), account: byId(APP_B) });
    const since = '2026-12-01T00:00:00.000Z';
    const deliveries = await requestsOf({ resource: 'delivery', operation: 'list', since, account: byId(APP_B) });
    const deliveriesDefault = await requestsOf({ resource: 'delivery', operation: 'list', since });
    // Assess
    expect(session.error).toBeUndefined();
    expect(session.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /accounts/${APP_B}/kf-sessions/o%401`]);
    expect(deliveries.requests.map((r) => r.path)).toEqual([`/accounts/${APP_B}/deliveries`]);
    expect(deliveries.requests[0]!.query).toBe(deliveriesDefault.requests[0]!.query);
    expect(deliveriesDefault.requests.map((r) => r.path)).toEqual(['/deliveries']);
    expect(authorizer.refused).toEqual([]);
  });

  it("reads an account's token at its own route, /access-token/<appId>, outside the account's prefix", async () => {
    // Act
    const ofB = await requestsOf({ resource: 'accessToken', operation: 'get', account: byId(APP_B) });
    const ofDefault = await requestsOf({ resource: 'accessToken', operation: 'get' });
    // Assess
    expect(ofB.error).toBeUndefined();
    expect(ofB.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /access-token/${APP_B}`]);
    expect(ofDefault.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /access-token']);
    expect(authorizer.refused).toEqual([]);
  });

  it.each([
    ['an original ID', 'gh_0123456789ab', /original ID \(gh_…\)/],
    ['a path', 'wxb/../subscriptions', /wx then 1 to 32 letters, digits, _ or -/],
    ['a URL', 'https://example.com', /wx then 1 to 32 letters, digits, _ or -/],
    ['a name', 'Shop B', /wx then 1 to 32 letters, digits, _ or -/],
  ])('refuses %s as the Account, saying what to give, and sends nothing', async (_what, value, hint) => {
    // Act
    const run = await requestsOf({ ...SEND_TEXT, account: byId(value) });
    // Assess
    expect(run.requests).toEqual([]);
    expect(run.error?.message).toMatch(/^The Account ".*" is not an AppID$/);
    expect(String(run.error?.description)).toMatch(hint);
    expect(String(run.error?.description)).toMatch(/leave Account empty for the default account/);
  });

  it('fails only the item with Continue On Fail, with the fix in the output', async () => {
    // Act
    const run = await harness.run({ ...GATEWAY, ...SEND_TEXT, account: byId('gh_abc') }, [{ json: {} }], CRED, {
      typeVersion: 2,
      continueOnFail: true,
    });
    // Assess
    expect(run.items.map((i) => i.json)).toEqual([
      expect.objectContaining({ error: 'The Account "gh_abc" is not an AppID', description: expect.stringMatching(/AppID \(wx…\)/) }),
    ]);
  });

  it('is ignored by version 1, which has no Account (its requests are what they always were)', async () => {
    // Act: a version 1 node given an account parameter anyway (n8n would drop it: no such property)
    const v1 = await requestsOf({ resource: 'kfAccount', operation: 'list', account: byId(APP_B) }, 1);
    // Assess
    expect(v1.error).toBeUndefined();
    expect(v1.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /kf-accounts']);
  });
});

describe('the Account field in the description', () => {
  const accountFields = (properties: INodeProperties[]) => properties.filter((p) => p.name === 'account');

  it('is a resource locator of version 2 in Gateway mode only, hidden for the deployment’s own resources', () => {
    // Assess
    const [field, ...others] = accountFields(description.properties);
    expect(others).toEqual([]);
    expect(field!.type).toBe('resourceLocator');
    expect(field!.default).toEqual({ mode: 'list', value: '' });
    expect(field!.displayOptions).toEqual({
      show: { authentication: ['gateway'], '@version': [2] },
      // The deployment's own resources (no accountRouteOf in the catalogue): accounts, subscriptions.
      hide: { resource: ['subscription', 'account'] },
    });
    expect(field!.modes?.map((m) => [m.name, m.typeOptions?.searchListMethod])).toEqual([
      ['list', 'searchAccounts'],
      ['id', undefined],
    ]);
    // Direct mode stays one credential per account
    expect(description.properties.some((p) => p.name === 'account' && p.displayOptions?.show?.authentication?.includes('direct'))).toBe(
      false,
    );
  });

  it('is on the trigger in Gateway mode, with the same list', () => {
    // Assess
    const [field, ...others] = accountFields(triggerDescription.properties);
    expect(others).toEqual([]);
    expect(field!.type).toBe('resourceLocator');
    expect(field!.displayOptions).toEqual({ show: { mode: ['gateway'] } });
    expect(field!.modes?.[0]?.typeOptions?.searchListMethod).toBe('searchAccounts');
  });
});

describe('From List', () => {
  it('lists the deployment’s accounts (GET /accounts, unprefixed), the default marked; a filter narrows them', async () => {
    // Act
    const all = await harness.listSearch('searchAccounts', { ...GATEWAY, resource: 'message', operation: 'send' }, CRED);
    const narrowed = await harness.listSearch('searchAccounts', { ...GATEWAY, account: byId(APP_B) }, CRED, 'shop');
    const onTrigger = await harness.listSearch('searchAccounts', { mode: 'gateway' }, CRED, undefined, 1, 'weChatKfTrigger');
    // Assess
    expect(all.results).toEqual([
      { name: 'Main (wxdefault000000001), default', value: 'wxdefault000000001' },
      { name: `Shop B (${APP_B})`, value: APP_B },
      { name: 'wxc0c0c0c0c0c0c0c0', value: 'wxc0c0c0c0c0c0c0c0' },
    ]);
    expect(narrowed.results).toEqual([{ name: `Shop B (${APP_B})`, value: APP_B }]);
    expect(onTrigger.results).toEqual(all.results);
    expect(recorder.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /accounts', 'GET /accounts', 'GET /accounts']);
  });

  it('lists the chosen account’s kf accounts (and the default’s without one)', async () => {
    // Act
    const b = await harness.listSearch('searchKfAccounts', { ...GATEWAY, account: fromList(APP_B) }, CRED);
    const main = await harness.listSearch('searchKfAccounts', { ...GATEWAY }, CRED);
    // Assess
    expect(b.results).toEqual([{ name: 'Bea (kf1@shopb)', value: 'kf1@shopb' }]);
    expect(main.results).toEqual([{ name: 'Max (kf1@main)', value: 'kf1@main' }]);
    expect(recorder.requests.map((r) => r.path)).toEqual([`/accounts/${APP_B}/kf-accounts`, '/kf-accounts']);
  });
});

describe('the gateway door', () => {
  /** A minimal caller of the door that records what it would send (no request leaves). */
  function recordingContext() {
    const sent: Array<{ method?: string; url: string }> = [];
    const ctx = {
      getNode: () => ({ name: 'WeChat', type: 'weChatKf', typeVersion: 2 }),
      getCredentials: async () => ({ url: 'https://api.example.com/prod/' }),
      helpers: {
        httpRequestWithAuthentication: async (_type: string, options: { method?: string; url: string }) => {
          sent.push({ method: options.method, url: options.url });
          return { statusCode: 200, body: {}, headers: {} };
        },
      },
    };
    return { ctx: ctx as never, sent };
  }
  it('never puts the accounts’ own routes under an account', async () => {
    // Prepare
    const { ctx, sent } = recordingContext();
    // Act
    await callGatewayRoute(ctx, getOperation('createAccount'), { appId: 'wxc0c0c0c0c0c0c0c0', appSecret: 's' }, 0, APP_B);
    await callGatewayRoute(ctx, getOperation('listAccounts'), {}, 0, APP_B);
    await callGatewayRoute(ctx, getOperation('getAccount'), { appId: 'wxc0c0c0c0c0c0c0c0' }, 0, APP_B);
    await callGatewayRoute(ctx, getOperation('deleteAccount'), { appId: 'wxc0c0c0c0c0c0c0c0' }, 0, APP_B);
    await callGatewayRoute(ctx, getOperation('listKfAccounts'), {}, 0, APP_B);
    // Assess
    expect(sent).toEqual([
      { method: 'POST', url: 'https://api.example.com/prod/accounts' },
      { method: 'GET', url: 'https://api.example.com/prod/accounts' },
      { method: 'GET', url: 'https://api.example.com/prod/accounts/wxc0c0c0c0c0c0c0c0' },
      { method: 'DELETE', url: 'https://api.example.com/prod/accounts/wxc0c0c0c0c0c0c0c0' },
      { method: 'GET', url: `https://api.example.com/prod/accounts/${APP_B}/kf-accounts` },
    ]);
  });
});

describe('the trigger with an Account', () => {
  const TRIGGER = { mode: 'gateway', startOn: 'messages' };
  /** The trigger's own static data, as n8n keeps it in the workflow's (`node:<name>`). */
  const nodeData = (workflowStaticData: IDataObject) => (workflowStaticData['node:Trigger'] ?? {}) as IDataObject;

  it('subscribes with appIds: [<appId>]; without an Account, with exactly the body it sent before', async () => {
    // Act
    const withAccount: IDataObject = {};
    await harness.hook('create', { ...TRIGGER, account: fromList(APP_B) }, CRED, withAccount);
    const created = recorder.requests.filter((r) => r.method === 'POST');
    recorder.requests.length = 0;
    recorder.subscriptions.clear();
    const without: IDataObject = {};
    await harness.hook('create', { ...TRIGGER }, CRED, without);
    const createdWithout = recorder.requests.filter((r) => r.method === 'POST');
    // Assess: the subscription routes are the deployment's, never under /accounts
    expect(created).toEqual([
      {
        method: 'POST',
        path: '/subscriptions',
        query: '',
        body: {
          url: 'http://localhost:5678/webhook/hook1/wechat',
          events: ['message.*', 'event.*', 'handoff.*'],
          description: 'n8n workflow "trigger test", node "Trigger"',
          appIds: [APP_B],
        },
      },
    ]);
    const { appIds: _left, ...before } = created[0]!.body as IDataObject;
    expect(createdWithout).toEqual([{ ...created[0]!, body: before }]);
    expect(nodeData(withAccount).subscriptionId).toMatch(/^sub_/);
    expect(authorizer.refused).toEqual([]);
  });

  it('keeps its subscription while the Account is the same, and replaces it when the Account changes', async () => {
    // Prepare
    const staticData: IDataObject = {};
    await harness.hook('create', { ...TRIGGER, account: byId(APP_B) }, CRED, staticData);
    const first = nodeData(staticData).subscriptionId;
    // Act
    const same = await harness.hook('checkExists', { ...TRIGGER, account: fromList(APP_B) }, CRED, staticData);
    const other = await harness.hook('checkExists', { ...TRIGGER, account: byId('wxc0c0c0c0c0c0c0c0') }, CRED, staticData);
    // Assess
    expect(same).toBe(true);
    expect(other).toBe(false);
    expect(recorder.subscriptions.has(String(first))).toBe(false);
    expect(nodeData(staticData).subscriptionId).toBeUndefined();
  });

  it('replaces a subscription for one account when the Account is emptied (every account now)', async () => {
    // Prepare
    const staticData: IDataObject = {};
    await harness.hook('create', { ...TRIGGER, account: byId(APP_B) }, CRED, staticData);
    // Act
    const exists = await harness.hook('checkExists', { ...TRIGGER }, CRED, staticData);
    await harness.hook('create', { ...TRIGGER }, CRED, staticData);
    // Assess
    expect(exists).toBe(false);
    expect([...recorder.subscriptions.values()].map((s) => s.appIds)).toEqual([undefined]);
  });

  it('fails the activation for an Account that is not an AppID, saying what to give, and subscribes nothing', async () => {
    // Act
    const activation = harness.hook('create', { ...TRIGGER, account: byId('gh_0123456789ab') }, CRED, {});
    // Assess
    await expect(activation).rejects.toMatchObject({
      message: 'The Account "gh_0123456789ab" is not an AppID',
      description: expect.stringMatching(/original ID \(gh_…\): give the AppID/),
    });
    expect(recorder.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('downloads a delivered photo through its Account (and through the default route without one)', async () => {
    // Prepare: a delivery of account B's photo, signed with the subscription's secret
    const secret = 'whsec_accounts_media';
    const delivery = (eventId: string) => {
      const body = JSON.stringify({
        id: eventId,
        type: 'message.image',
        detail: {
          appId: APP_B,
          message: {
            ToUserName: 'gh_b',
            FromUserName: 'oPhoto',
            CreateTime: 1714112445,
            MsgType: 'image',
            MediaId: 'MEDIA_B_1',
            MsgId: eventId,
          },
        },
      });
      return { headers: signDelivery({ secret, eventId, body, now: Date.now() }), rawBody: Buffer.from(body) };
    };
    const params = { ...TRIGGER, downloadMedia: true, mediaBinaryProperty: 'data', messageTypes: [], events: [], options: {} };
    // Act
    const withAccount = await harness.webhook({ ...params, account: fromList(APP_B) }, delivery('evt-media-1'), CRED, {
      'node:Trigger': { subscriptionId: 'sub_1', subscriptionSecret: secret },
    });
    const without = await harness.webhook(params, delivery('evt-media-2'), CRED, {
      'node:Trigger': { subscriptionId: 'sub_1', subscriptionSecret: secret },
    });
    // Assess
    expect(withAccount.status).toBe(200);
    expect(withAccount.items?.[0]?.binary?.data?.mimeType).toBe('image/jpeg');
    // The item names the account, for a reply through it (Account By ID: {{ $json.appId }})
    expect(withAccount.items?.[0]?.json).toMatchObject({ appId: APP_B, openid: 'oPhoto', account: 'gh_b' });
    expect(without.items?.[0]?.json.appId).toBe(APP_B);
    expect(without.items?.[0]?.binary?.data?.mimeType).toBe('image/jpeg');
    expect(recorder.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /accounts/${APP_B}/media/MEDIA_B_1`,
      'GET /media/MEDIA_B_1',
    ]);
    expect(authorizer.refused).toEqual([]);
  });

  it.each([
    ['delivery.failed', 'both', { openid: 'oFailed', outcome: 'refused', reason: 'window closed' }],
    ['turn.ready', 'turns', { openid: 'oTurn', turnId: 't1', text: 'hi', messages: [] }],
  ])('names the account of a %s item too', async (type, startOn, detail) => {
    // Prepare
    const secret = 'whsec_accounts_items';
    const body = JSON.stringify({ id: `evt-${type}`, type, detail: { appId: APP_B, ...detail } });
    const request = { headers: signDelivery({ secret, eventId: `evt-${type}`, body, now: Date.now() }), rawBody: Buffer.from(body) };
    // Act
    const started = await harness.webhook({ ...TRIGGER, startOn, options: {} }, request, CRED, {
      'node:Trigger': { subscriptionId: 'sub_1', subscriptionSecret: secret },
    });
    // Assess
    expect(started.items?.map((i) => i.json)).toEqual([expect.objectContaining({ appId: APP_B, openid: detail.openid })]);
  });
});
