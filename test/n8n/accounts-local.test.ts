/**
 * Gateway mode's *Account* field against the local product (`startLocal`, the same handlers as the
 * stack, behind the SigV4-checking authorizer), built, on n8n-core's engine:
 * - the _Account_ resource adds, lists, gets and removes accounts on the product's own `/accounts`
 *   routes, whatever the Account field says; *From List* lists them, the default first;
 * - an operation for an account runs at `/accounts/<appId>/…` for that account (its records apart from
 *   the default's); an unknown account is the product's 404 `ACCOUNT_NOT_FOUND` as a node error;
 * - the trigger's activation subscribes with `appIds` for its Account (none without one), as the
 *   product keeps it;
 * - with a second sandbox account (SANDBOX_ACCOUNTS), a send for it reaches its user through it, and its
 *   send to the default account's user is refused by its own window.
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import type { IDataObject } from 'n8n-workflow';
import { useLocalProduct } from '../support/local-product';
import { createHarness } from './harness';
import { GATEWAY_KEYS as KEYS, GATEWAY_REGION as REGION, startIamAuthorizer, type Authorizer } from './iam-authorizer';

const CRED = { weChatKfGatewayApi: { id: 'gw', name: 'Gateway' } };
const GATEWAY = { authentication: 'gateway' };
const APP_B = 'wxb1b1b1b1b1b1b1b1';
const byId = (value: string) => ({ __rl: true, mode: 'id', value });
const fromList = (value: string) => ({ __rl: true, mode: 'list', value });

// A second sandbox account, added to the product by npm start (docs/accounts.md, SANDBOX_ACCOUNTS).
const C = { appId: 'wxc3c3c3c3c3c3c3c3', appSecret: 'secretOfAccountC01', token: 'tokenOfC2026' };
const product = useLocalProduct('wechat-kf-n8n-accounts-', { env: { SANDBOX_ACCOUNTS: `${C.appId}:${C.appSecret}:${C.token}` } });

/** The sandbox's control plane (docs/accounts.md): a user of an account writes in; what an account's user got. */
async function sandboxCall(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${product.sandbox!.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return await res.json();
}
const userWrites = (appId: string, openid: string, content: string) =>
  sandboxCall('POST', `/sandbox/users/${openid}/messages?appId=${appId}`, { content });
const received = async (appId: string, openid: string): Promise<Array<Record<string, any>>> =>
  (await sandboxCall('GET', `/sandbox/messages?appId=${appId}&openid=${openid}`)).messages;
let authorizer: Authorizer;
let harness: ReturnType<typeof createHarness>;

beforeAll(async () => {
  authorizer = await startIamAuthorizer(product.url);
  harness = createHarness({
    credentials: { gw: { type: 'weChatKfGatewayApi', data: { url: authorizer.url, region: REGION, ...KEYS, sessionToken: '' } } },
  });
});
afterAll(async () => {
  await authorizer?.stop();
});

const run = (parameters: IDataObject) => harness.run({ ...GATEWAY, ...parameters }, [{ json: {} }], CRED, { typeVersion: 2 });

describe('the Account resource and field against the local product', () => {
  it('adds an account, lists it From List after the default, gets it, for any Account field value', async () => {
    // Act: the Account field set (it is hidden for these operations; a saved value must not move them)
    const created = await run({
      resource: 'account',
      operation: 'create',
      account: byId('wxc2c2c2c2c2c2c2c2'),
      appId: APP_B,
      appSecret: 'secret-of-b',
      name: 'Shop B',
    });
    const listed = await harness.listSearch('searchAccounts', { ...GATEWAY, resource: 'message', operation: 'send' }, CRED);
    const got = await run({ resource: 'account', operation: 'get', appId: fromList(APP_B), account: byId('wxc2c2c2c2c2c2c2c2') });
    // Assess
    expect(created.error).toBeUndefined();
    expect(created.items[0]!.json).toMatchObject({ appId: APP_B, name: 'Shop B', default: false });
    expect(JSON.stringify(created.items[0]!.json)).not.toContain('secret-of-b');
    expect(listed.results[0]!.name).toMatch(/, default$/);
    expect(listed.results[0]!.value).toBe(product.sandbox!.appId);
    expect(
      listed.results
        .slice(1)
        .map((r) => r.value)
        .sort(),
    ).toEqual([APP_B, C.appId]);
    expect(listed.results).toContainEqual({ name: `Shop B (${APP_B})`, value: APP_B });
    expect(got.items[0]!.json).toMatchObject({ appId: APP_B, callbackPath: `/callback/${APP_B}` });
    expect(authorizer.refused).toEqual([]);
  });

  it('runs an operation for the chosen account (its own records), and the default’s without one', async () => {
    // Prepare: a send for the default account leaves a delivery record there
    await product.sandbox!.simulateUser('oAccountsLocal', { type: 'text', content: 'hi' });
    const sent = await run({ resource: 'message', operation: 'send', touser: byId('oAccountsLocal'), msgtype: 'text', content: 'hello' });
    expect(sent.error).toBeUndefined();
    const since = new Date(Date.now() - 3_600_000).toISOString();
    // Act
    const ofDefault = await run({ resource: 'delivery', operation: 'list', since, splitIntoItems: false, simplify: false });
    const ofB = await run({
      resource: 'delivery',
      operation: 'list',
      since,
      account: fromList(APP_B),
      splitIntoItems: false,
      simplify: false,
    });
    // Assess
    expect(ofB.error).toBeUndefined();
    expect((ofDefault.items[0]!.json.deliveries as IDataObject[]).map((d) => d.openid)).toContain('oAccountsLocal');
    expect(ofB.items[0]!.json.deliveries).toEqual([]);
  });

  it('answers an unknown account with the product’s 404 ACCOUNT_NOT_FOUND as the node’s error', async () => {
    // Act
    const unknown = await run({ resource: 'delivery', operation: 'list', account: byId('wxd3d3d3d3d3d3d3d3') });
    // Assess
    expect(unknown.error?.message).toMatch(/HTTP 404 \(ACCOUNT_NOT_FOUND\)/);
  });

  it('subscribes the trigger with appIds for its Account, and without them for none', async () => {
    // Act
    const idOf = (data: IDataObject) => String((data['node:Trigger'] as IDataObject).subscriptionId);
    const forB: IDataObject = {};
    await harness.hook('create', { mode: 'gateway', account: fromList(APP_B) }, CRED, forB);
    const keptForB = await product.webhooks.subscriptions.get(idOf(forB));
    const stillThere = await harness.hook('checkExists', { mode: 'gateway', account: byId(APP_B) }, CRED, forB);
    // The same workflow's URL subscribed again without an Account (its earlier subscription is replaced)
    const forAll: IDataObject = {};
    await harness.hook('create', { mode: 'gateway' }, CRED, forAll);
    const keptForAll = await product.webhooks.subscriptions.get(idOf(forAll));
    // Assess: as the product keeps them
    expect(keptForB.appIds).toEqual([APP_B]);
    expect(stillThere).toBe(true);
    expect(keptForAll.appIds).toBeNull(); // the product's "every account"
    expect((await product.webhooks.subscriptions.list()).map((s) => s.id)).toEqual([idOf(forAll)]);
  });

  it('removes the account (Account → Delete); its operations are 404 afterwards', async () => {
    // Act
    const removed = await run({ resource: 'account', operation: 'delete', appId: byId(APP_B) });
    const after = await run({ resource: 'delivery', operation: 'list', account: byId(APP_B) });
    // Assess
    expect(removed.items[0]!.json).toEqual({ appId: APP_B, deleted: true });
    expect(after.error?.message).toMatch(/HTTP 404 \(ACCOUNT_NOT_FOUND\)/);
  });

  it('sends for the chosen account to its user, through its own token and window; the default’s user is not its user', async () => {
    // Prepare: a user of account C and a user of the default account write in
    await userWrites(C.appId, 'o_user_of_c', 'hello C');
    await userWrites(product.sandbox!.appId, 'o_user_of_default', 'hello default');
    const sendTo = (openid: string, account?: string) =>
      run({
        resource: 'message',
        operation: 'send',
        touser: byId(openid),
        msgtype: 'text',
        content: `to ${openid}`,
        ...(account ? { account: fromList(account) } : {}),
      });
    // Act
    const forC = await sendTo('o_user_of_c', C.appId);
    const forDefault = await sendTo('o_user_of_default');
    const crossed = await sendTo('o_user_of_default', C.appId);
    // Assess: each account's user got its own message, from its own account
    expect(forC.error).toBeUndefined();
    expect(forDefault.error).toBeUndefined();
    expect((await received(C.appId, 'o_user_of_c')).map((m) => m.body)).toEqual([
      { touser: 'o_user_of_c', msgtype: 'text', text: { content: 'to o_user_of_c' } },
    ]);
    expect((await received(product.sandbox!.appId, 'o_user_of_default')).map((m) => m.body.text.content)).toEqual(['to o_user_of_default']);
    // C's window for the default's user is closed (that user never wrote to C): refused, nothing sent
    expect(crossed.error?.message).toMatch(/409 \(SEND_WINDOW_CLOSED\)/);
    expect(await received(C.appId, 'o_user_of_default')).toEqual([]);
  });
});
