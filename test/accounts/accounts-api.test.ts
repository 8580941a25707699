/**
 * Accounts as data (docs/accounts.md), over HTTP on the local product: POST/GET/DELETE /accounts, the
 * answers never carrying a secret, hostile input refused naming the field, and `/callback/{appId}` checked
 * with that account's own token.
 */
import { WeChatCrypto } from '../../functions/core/callback';
import { buildPush } from '../support/push';
import { callProduct, useLocalProduct } from '../support/local-product';
import { createDynamoClient } from '../../functions/store';
import { StackAccountStore } from '../../functions/store/stack-accounts';

const B = 'wxbbbbbbbbbbbbbbbb';
const B_SECRET = 'secret-of-b-7f3a9c';
const B_TOKEN = 'tokenOfB2026';
const B_KEY = 'b'.repeat(43);

function textPush(appId: string, token: string, openid: string, content: string, crypto?: WeChatCrypto) {
  const message = {
    ToUserName: `gh_${appId}`,
    FromUserName: openid,
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'text',
    Content: content,
    MsgId: String(Date.now()) + String(Math.floor(Math.random() * 1000)),
  };
  return buildPush({ message, token, ...(crypto ? { crypto, mode: 'safe' as const } : {}) });
}

describe('accounts as data', () => {
  const product = useLocalProduct('wechat-kf-accounts-');

  test('the default account is listed first, and cannot be added again or removed', async () => {
    // Act
    const list = await callProduct(product, 'GET', '/accounts');
    const again = await callProduct(product, 'POST', '/accounts', { appId: product.context.secrets.appId, appSecret: 'x' });
    const removed = await callProduct(product, 'DELETE', `/accounts/${product.context.secrets.appId}`);

    // Assess
    expect(list.status).toBe(200);
    expect(list.json.accounts[0]).toMatchObject({ appId: product.context.secrets.appId, default: true, callbackPath: '/callback' });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('ACCOUNT_EXISTS');
    expect(removed.status).toBe(409);
    expect(removed.json.error.code).toBe('DEFAULT_ACCOUNT');
  });

  test('hostile input is refused naming each field and its rule, and nothing is added', async () => {
    // Act
    const bad = await callProduct(product, 'POST', '/accounts', {
      appId: '../wx',
      appSecret: '',
      encodingAesKey: 'short',
      ghId: 'javascript:alert(1)',
      name: 'a\u0000b',
      settings: { replyMode: 'sometimes', nope: 1 },
      extra: true,
    });
    const badSetting = await callProduct(product, 'POST', '/accounts', {
      appId: B,
      appSecret: B_SECRET,
      settings: { replyMode: 'sometimes' },
    });
    const list = await callProduct(product, 'GET', '/accounts');

    // Assess
    expect(bad.status).toBe(400);
    const fields = bad.json.error.issues.map((i: { field: string }) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['appId', 'appSecret', 'encodingAesKey', 'ghId', 'name', 'settings.nope', 'extra']));
    expect(badSetting.status).toBe(400);
    expect(badSetting.json.error.issues[0].field).toBe('settings.replyMode');
    expect(list.json.accounts).toHaveLength(1);
  });

  test('an added account is answered without its secret, and an AppID is added once', async () => {
    // Act
    const created = await callProduct(product, 'POST', '/accounts', {
      appId: B,
      appSecret: B_SECRET,
      callbackToken: B_TOKEN,
      encodingAesKey: B_KEY,
      ghId: 'gh_97417a04a28d',
      name: 'Brand B',
      settings: { aiLabelDefault: true, windowPolicy: 'observe' },
    });
    const got = await callProduct(product, 'GET', `/accounts/${B}`);
    const list = await callProduct(product, 'GET', '/accounts');
    const twice = await callProduct(product, 'POST', '/accounts', { appId: B, appSecret: 'other' });

    // Assess
    expect(created.status).toBe(201);
    expect(got.json).toEqual({
      appId: B,
      name: 'Brand B',
      ghId: 'gh_97417a04a28d',
      default: false,
      settings: { aiLabelDefault: true, windowPolicy: 'observe' },
      callbackPath: `/callback/${B}`,
      hasCallbackToken: true,
      hasEncodingAesKey: true,
      createdAt: expect.any(String),
    });
    for (const answer of [created, got, list]) {
      for (const secret of [B_SECRET, B_TOKEN, B_KEY]) expect(answer.text).not.toContain(secret);
    }
    expect(list.json.accounts.map((a: { appId: string }) => a.appId)).toEqual([product.context.secrets.appId, B]);
    expect(twice.status).toBe(409);
  });

  test("an account's callback takes only pushes signed with its own token and encrypted for its own AppID", async () => {
    // Prepare
    const ownCrypto = new WeChatCrypto(B_TOKEN, B_KEY, B);
    const foreignCrypto = new WeChatCrypto(B_TOKEN, B_KEY, 'wxcccccccccccccccc');
    const own = textPush(B, B_TOKEN, 'o_user_of_b', 'hello', ownCrypto);
    const defaultToken = product.context.secrets.callbackToken!;
    const wrongToken = textPush(B, defaultToken, 'o_user_of_b', 'hello', new WeChatCrypto(defaultToken, B_KEY, B));
    const wrongAppId = textPush(B, B_TOKEN, 'o_user_of_b', 'hello', foreignCrypto);
    const post = (push: { query: Record<string, string>; body: string }, path = `/callback/${B}`) =>
      callProduct(product, 'POST', `${path}?${new URLSearchParams(push.query)}`, push.body, { 'content-type': 'text/xml' });

    // Act
    const refusedToken = await post(wrongToken);
    const refusedAppId = await post(wrongAppId);
    const onDefault = await post(own, '/callback');
    const accepted = await post(own);
    const stateB = await callProduct(product, 'GET', `/accounts/${B}/interactions/o_user_of_b`);
    const stateDefault = await callProduct(product, 'GET', '/interactions/o_user_of_b');

    // Assess
    expect(refusedToken.status).toBe(401);
    expect(refusedAppId.status).toBe(401);
    expect(onDefault.status).toBe(401);
    expect(accepted.status).toBe(200);
    expect(stateB.json).toMatchObject({ openid: 'o_user_of_b', canSend: true, policy: 'observe', lastInteractionKind: 'message' });
    expect(stateDefault.json).toMatchObject({ openid: 'o_user_of_b', lastInteractionAt: null });
    const event = product.events.events.find((e) => (e.detail as { appId?: string }).appId === B);
    expect(event?.detailType).toBe('message.text');
  });

  test('an account the stack declares (its accounts prop) is shown managed by the stack, and the API neither removes nor replaces it', async () => {
    // Prepare: the item as functions/lambda/accounts-seed.ts writes it (the view never opens the secret)
    const S = 'wxstackdeclared01';
    const { dynamodbEndpoint, tableName } = product.context.config;
    await new StackAccountStore({ client: createDynamoClient({ endpoint: dynamodbEndpoint }), tableName }).putOwnedByStack({
      appId: S,
      name: 'Declared',
      settings: {},
      sealedSecret: 'local:v1:unused',
      hasCallbackToken: true,
      hasEncodingAesKey: false,
    });
    // Act
    const view = await callProduct(product, 'GET', `/accounts/${S}`);
    const removed = await callProduct(product, 'DELETE', `/accounts/${S}`);
    const replaced = await callProduct(product, 'POST', '/accounts', { appId: S, appSecret: 'another' });
    const changed = await callProduct(product, 'PATCH', `/accounts/${S}`, { name: 'Renamed' });
    const after = await callProduct(product, 'GET', `/accounts/${S}`);
    // Assess
    expect(view.json).toMatchObject({ appId: S, name: 'Declared', default: false, managedBy: 'stack', hasCallbackToken: true });
    expect(removed.status).toBe(409);
    expect(removed.json.error.code).toBe('ACCOUNT_MANAGED_BY_STACK');
    expect(removed.json.error.message).toMatch(/accounts prop/);
    expect(replaced.status).toBe(409);
    expect(replaced.json.error.code).toBe('ACCOUNT_EXISTS');
    expect(changed.status).toBe(409);
    expect(changed.json.error.code).toBe('ACCOUNT_MANAGED_BY_STACK');
    expect(after.status).toBe(200);
    expect(after.json.name).toBe('Declared');
    expect(JSON.stringify([view.json, after.json])).not.toContain('sealedSecret');
  });

  test('a change lays settings over the account’s, replaces the whole secret, and changes nothing when a field is wrong', async () => {
    // Prepare
    const C = 'wxchangeable000001';
    await callProduct(product, 'POST', '/accounts', {
      appId: C,
      appSecret: 'secret-of-c-1',
      callbackToken: 'tokenOfC2026',
      name: 'Brand C',
      settings: { windowPolicy: 'observe', aiLabelDefault: true },
    });
    const before = await callProduct(product, 'GET', `/accounts/${C}/interactions/o_c`);

    // Act
    const bad = await callProduct(product, 'PATCH', `/accounts/${C}`, {
      name: 'x',
      settings: { replyMode: 'sometimes' },
      callbackToken: 'tokenOnly',
    });
    const badSetting = await callProduct(product, 'PATCH', `/accounts/${C}`, { name: 'x', settings: { replyMode: 'sometimes' } });
    const unchanged = await callProduct(product, 'GET', `/accounts/${C}`);
    const settings = await callProduct(product, 'PATCH', `/accounts/${C}`, {
      name: 'Brand C (north)',
      settings: { aiLabelDefault: null, windowPolicy: 'enforce' },
    });
    const after = await callProduct(product, 'GET', `/accounts/${C}/interactions/o_c`);
    const secret = await callProduct(product, 'PATCH', `/accounts/${C}`, { appSecret: 'secret-of-c-2' });
    const onDefault = await callProduct(product, 'PATCH', `/accounts/${product.context.secrets.appId}`, { name: 'x' });
    const unknown = await callProduct(product, 'PATCH', '/accounts/wxdddddddddddddddd', { name: 'x' });

    // Assess: a wrong change names the field and changes nothing (the body's shape first, then each setting's value)
    expect(bad.status).toBe(400);
    expect(bad.json.error.issues.map((i: { field: string }) => i.field)).toEqual(['appSecret']);
    expect(badSetting.status).toBe(400);
    expect(badSetting.json.error.issues.map((i: { field: string }) => i.field)).toEqual(['settings.replyMode']);
    expect(unchanged.json).toMatchObject({ name: 'Brand C', settings: { windowPolicy: 'observe', aiLabelDefault: true } });
    // settings laid over the account's, null back to the deployment's; the window now follows enforce
    expect(before.json.policy).toBe('observe');
    expect(settings.status).toBe(200);
    expect(settings.json).toMatchObject({ name: 'Brand C (north)', settings: { windowPolicy: 'enforce' }, hasCallbackToken: true });
    expect(settings.json.settings).not.toHaveProperty('aiLabelDefault');
    expect(after.json.policy).toBe('enforce');
    // the secret is replaced whole: without a Token given, the account has none now
    expect(secret.json).toMatchObject({ hasCallbackToken: false, hasEncodingAesKey: false });
    expect(secret.text).not.toContain('secret-of-c-2');
    expect(onDefault.status).toBe(409);
    expect(onDefault.json.error.code).toBe('DEFAULT_ACCOUNT');
    expect(unknown.status).toBe(404);
  });

  test("the deployment's own operations under an account's prefix are a 404 saying where they are", async () => {
    // Act
    const subscriptions = await callProduct(product, 'GET', `/accounts/${B}/subscriptions`);
    const accounts = await callProduct(product, 'POST', `/accounts/${B}/accounts`, { appId: 'wxcccccccccccccccc', appSecret: 'x' });
    const nothing = await callProduct(product, 'GET', `/accounts/${B}/nothing-here`);
    // Assess
    expect([subscriptions.status, accounts.status, nothing.status]).toEqual([404, 404, 404]);
    expect(subscriptions.json.error.message).toMatch(/GET \/subscriptions belongs to the deployment.*appIds/);
    expect(accounts.json.error.message).toMatch(/POST \/accounts belongs to the deployment, not to one account/);
    expect(nothing.json.error.message).toMatch(/an account's routes are the usual ones after \/accounts\/\{appId\}/);
    expect((await callProduct(product, 'GET', '/accounts')).json.accounts.map((a: { appId: string }) => a.appId)).not.toContain(
      'wxcccccccccccccccc',
    );
  });

  test('an unknown account is a 404 on its routes and its callback, and a removed one too', async () => {
    // Act
    const unknownRoute = await callProduct(product, 'GET', '/accounts/wxcccccccccccccccc/interactions/o1');
    const unknownCallback = await callProduct(product, 'GET', '/callback/wxcccccccccccccccc?signature=x&timestamp=1&nonce=1&echostr=e');
    const notAnAppId = await callProduct(product, 'GET', '/accounts/wx!!/interactions/o1');
    const removed = await callProduct(product, 'DELETE', `/accounts/${B}`);
    const afterRoute = await callProduct(product, 'GET', `/accounts/${B}/interactions/o_user_of_b`);
    const removedAgain = await callProduct(product, 'DELETE', `/accounts/${B}`);

    // Assess
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.json.error.code).toBe('ACCOUNT_NOT_FOUND');
    expect(unknownCallback.status).toBe(404);
    expect(notAnAppId.status).toBe(400);
    expect(removed.json).toEqual({ appId: B, deleted: true });
    expect(afterRoute.status).toBe(404);
    expect(removedAgain.status).toBe(404);
  });
});
