/**
 * The sandbox hosting several official accounts (issue 27), over real HTTP: three accounts, each with its
 * own access tokens, users, kf accounts, force-refresh budget and push target (signed with its own Token,
 * encrypted with its own EncodingAESKey and AppID); an openid of one account is unknown to another (40003),
 * as WeChat's openids are per official account (docs/wechat-reference.md). Callers that name no account
 * get the first, as before there were several.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSandboxAccounts, SandboxUsageError, startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { decrypt, getJson, jpeg, multipart, postJson, sha1Sorted, startReceiver, useSandbox, type Json } from './helpers';

const A = { appId: 'wxaaaaaaaaaaaaaaaa', appSecret: 'secretOfAccountA0123456789abcdef' };
const B = { appId: 'wxbbbbbbbbbbbbbbbb', appSecret: 'secretOfAccountB0123456789abcdef' };
const C = { appId: 'wxcccccccccccccccc', appSecret: 'secretOfAccountC0123456789abcdef' };
const KEY_B = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

async function tokenOf(s: Sandbox, account: { appId: string; appSecret: string }): Promise<string> {
  const answer = await getJson(
    `${s.url}/cgi-bin/token?grant_type=client_credential&appid=${account.appId}&secret=${encodeURIComponent(account.appSecret)}`,
  );
  if (typeof answer.access_token !== 'string') throw new Error(`no token for ${account.appId}: errcode ${answer.errcode}`);
  return answer.access_token;
}

function stable(s: Sandbox, appid: string, secret: string, forceRefresh = false): Promise<Json> {
  return postJson(`${s.url}/cgi-bin/stable_token`, { grant_type: 'client_credential', appid, secret, force_refresh: forceRefresh });
}

function sendText(s: Sandbox, token: string, touser: string, content = 'hello'): Promise<Json> {
  return postJson(`${s.url}/cgi-bin/message/custom/send?access_token=${token}`, { touser, msgtype: 'text', text: { content } });
}

/** A user of `appId` writes in through the control plane. */
function userWrites(s: Sandbox, openid: string, content: string, appId?: string): Promise<Json> {
  return postJson(`${s.url}/sandbox/users/${openid}/messages${appId ? `?appId=${appId}` : ''}`, { content });
}

describe('sandbox: three official accounts', () => {
  // A is the first (default) account; B and C are extra accounts.
  const { sandbox } = useSandbox({ ...A, accounts: [B, C] });

  it('lists its accounts, the first as the default, and never a secret', async () => {
    // act
    const res = await fetch(`${sandbox.url}/sandbox/accounts`);
    const text = await res.text();
    // assess
    expect(res.status).toBe(200);
    const body = JSON.parse(text) as Json;
    expect(body.accounts.map((a: Json) => [a.appId, a.default])).toEqual([
      [A.appId, true],
      [B.appId, false],
      [C.appId, false],
    ]);
    expect(sandbox.appIds).toEqual([A.appId, B.appId, C.appId]);
    for (const secret of [A.appSecret, B.appSecret, C.appSecret]) expect(text).not.toContain(secret);
    // Each has its own original ID (the ToUserName of its pushes) and kf_account suffix.
    expect(new Set(body.accounts.map((a: Json) => a.ghId)).size).toBe(3);
    expect(sandbox.account(B.appId).ghId).toMatch(/^gh_[0-9a-f]{12}$/);
  });

  it("issues each account's tokens for its own AppID and AppSecret only", async () => {
    // act
    const [tA, tB, tC] = await Promise.all([tokenOf(sandbox, A), tokenOf(sandbox, B), tokenOf(sandbox, C)]);
    const bWithAsSecret = await getJson(`${sandbox.url}/cgi-bin/token?grant_type=client_credential&appid=${B.appId}&secret=${A.appSecret}`);
    const unknown = await stable(sandbox, 'wxdddddddddddddddd', A.appSecret);
    const [sA, sB] = await Promise.all([stable(sandbox, A.appId, A.appSecret), stable(sandbox, B.appId, B.appSecret)]);
    // assess
    expect(new Set([tA, tB, tC]).size).toBe(3);
    expect(bWithAsSecret.errcode).toBe(40125);
    expect(unknown.errcode).toBe(40013);
    expect(typeof sA.access_token).toBe('string');
    expect(sA.access_token).not.toBe(sB.access_token);
    // The recorded token calls name the account they were answered as.
    expect(sandbox.requests('/cgi-bin/token').map((r) => r.appId)).toEqual([A.appId, B.appId, C.appId, B.appId]);
  });

  it("keeps each account's force-refresh budget: A's 30 s spacing does not hold B back", async () => {
    // act
    const a1 = await stable(sandbox, A.appId, A.appSecret, true);
    const b1 = await stable(sandbox, B.appId, B.appSecret, true);
    const a2 = await stable(sandbox, A.appId, A.appSecret, true);
    // assess
    expect(typeof a1.access_token).toBe('string');
    expect(typeof b1.access_token).toBe('string');
    expect(a2.errcode).toBe(45011);
  });

  it("refuses one account's invalidated (40001) or expired (42001) tokens and leaves the others' working", async () => {
    // prepare
    await Promise.all([userWrites(sandbox, 'oUserA', 'hi'), userWrites(sandbox, 'oUserB', 'hi', B.appId)]);
    await userWrites(sandbox, 'oUserC', 'hi', C.appId);
    const [tA, tB, tC] = await Promise.all([tokenOf(sandbox, A), tokenOf(sandbox, B), tokenOf(sandbox, C)]);
    // act
    await postJson(`${sandbox.url}/sandbox/tokens/invalidate?appId=${B.appId}`, {});
    await postJson(`${sandbox.url}/sandbox/tokens/expire`, { appId: C.appId });
    // assess
    expect((await sendText(sandbox, tB, 'oUserB')).errcode).toBe(40001);
    expect((await sendText(sandbox, tC, 'oUserC')).errcode).toBe(42001);
    expect((await sendText(sandbox, tA, 'oUserA')).errcode).toBe(0);
    // A fresh token of B works again.
    expect((await sendText(sandbox, await tokenOf(sandbox, B), 'oUserB')).errcode).toBe(0);
  });

  it("keeps users per account: B's user is unknown to A and C", async () => {
    // act: one user writes to B (named in the query), another to C (named in the body), one to the default
    await userWrites(sandbox, 'oOnlyB', 'hello B', B.appId);
    // As curl -d sends it: a JSON body under the form content type.
    await fetch(`${sandbox.url}/sandbox/users/oOnlyC/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({ appId: C.appId, content: 'hello C' }),
    });
    await userWrites(sandbox, 'oOnlyA', 'hello A');
    // assess
    const ids = async (query: string) => ((await getJson(`${sandbox.url}/sandbox/users${query}`)).users as Json[]).map((u) => u.openid);
    expect(await ids('')).toEqual(['oOnlyA']);
    expect(await ids(`?appId=${A.appId}`)).toEqual(['oOnlyA']);
    expect(await ids(`?appId=${B.appId}`)).toEqual(['oOnlyB']);
    expect(await ids(`?appId=${C.appId}`)).toEqual(['oOnlyC']);
    expect(sandbox.user('oOnlyB')).toBeUndefined();
    expect(sandbox.account(B.appId).user('oOnlyB')?.canSend).toEqual({ ok: true });
    expect((await fetch(`${sandbox.url}/sandbox/users/oOnlyB`)).status).toBe(404);
    expect((await fetch(`${sandbox.url}/sandbox/users/oOnlyB?appId=${B.appId}`)).status).toBe(200);
    // user/get answers each token's own followers.
    const list = await getJson(`${sandbox.url}/cgi-bin/user/get?access_token=${await tokenOf(sandbox, C)}`);
    expect(list.data.openid).toEqual(['oOnlyC']);
  });

  it("refuses A's send to B's user with 40003 (an openid is per official account) and accepts B's", async () => {
    // prepare
    await userWrites(sandbox, 'oUserOfB', 'hi', B.appId);
    const [tA, tB] = await Promise.all([tokenOf(sandbox, A), tokenOf(sandbox, B)]);
    // act
    const byA = await sendText(sandbox, tA, 'oUserOfB', 'from A');
    const byB = await sendText(sandbox, tB, 'oUserOfB', 'from B');
    // assess
    expect(byA.errcode).toBe(40003);
    expect(byB).toEqual({ errcode: 0, errmsg: 'ok' });
    const received = await getJson(`${sandbox.url}/sandbox/messages?appId=${B.appId}&openid=oUserOfB`);
    expect(received.messages.map((m: Json) => m.body.text.content)).toEqual(['from B']);
    expect((await getJson(`${sandbox.url}/sandbox/messages`)).messages).toEqual([]);
    expect(sandbox.account(B.appId).messages('oUserOfB')).toHaveLength(1);
  });

  it("keeps kf accounts per account, each named with its own account's WeChat ID", async () => {
    // prepare
    const [tA, tB] = await Promise.all([tokenOf(sandbox, A), tokenOf(sandbox, B)]);
    const suffixB = sandbox.account(B.appId).wechatId;
    // act
    const add = (token: string, kf: string) =>
      postJson(`${sandbox.url}/customservice/kfaccount/add?access_token=${token}`, { kf_account: kf, nickname: 'Agent' });
    const onB = await add(tB, `agent1@${suffixB}`);
    const bsNameOnA = await add(tA, `agent1@${suffixB}`);
    // assess
    expect(onB.errcode).toBe(0);
    expect(bsNameOnA.errcode).toBe(61452);
    expect((await getJson(`${sandbox.url}/cgi-bin/customservice/getkflist?access_token=${tA}`)).kf_list).toEqual([]);
    expect((await getJson(`${sandbox.url}/cgi-bin/customservice/getkflist?access_token=${tB}`)).kf_list).toHaveLength(1);
    expect((await getJson(`${sandbox.url}/sandbox/kf-accounts?appId=${B.appId}`)).kf_accounts).toHaveLength(1);
    // B's avatar URL names B: kf_ids start over in every account.
    const { body, contentType } = multipart('media', 'a.jpg', 'image/jpeg', jpeg());
    const upload = await fetch(`${sandbox.url}/customservice/kfaccount/uploadheadimg?access_token=${tB}&kf_account=agent1@${suffixB}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    }).then((r) => r.json() as Promise<Json>);
    expect(upload.errcode).toBe(0);
    const url = sandbox.account(B.appId).kfAccounts()[0]!.kf_headimgurl;
    expect(url).toContain(`appId=${B.appId}`);
    expect((await fetch(url)).status).toBe(200);
  });

  it("streams one account's feed with ?appId=, every account's without", async () => {
    // prepare
    const read = async (query: string) => {
      const controller = new AbortController();
      const res = await fetch(`${sandbox.url}/sandbox/stream${query}`, { signal: controller.signal });
      const reader = res.body!.getReader();
      let text = '';
      const until = Date.now() + 300;
      while (Date.now() < until) {
        const chunk = await Promise.race([reader.read(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
        if (chunk?.value) text += Buffer.from(chunk.value).toString('utf8');
      }
      controller.abort();
      return text;
    };
    await userWrites(sandbox, 'oFeedA', 'hi');
    await userWrites(sandbox, 'oFeedB', 'hi', B.appId);
    // act
    const [onlyB, onlyA, all] = await Promise.all([read(`?appId=${B.appId}`), read(`?appId=${A.appId}`), read('')]);
    // assess
    expect(onlyB).toContain('oFeedB');
    expect(onlyB).not.toContain('oFeedA');
    expect(onlyA).toContain('oFeedA');
    expect(onlyA).not.toContain('oFeedB');
    expect(all).toContain('oFeedA');
    expect(all).toContain('oFeedB');
  });

  it('answers 404 for an account it does not host, and 400 when query and body name different ones', async () => {
    // act
    const unknown = await fetch(`${sandbox.url}/sandbox/users/oX/messages?appId=wxnosuchaccount`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'hi' }),
    });
    const conflict = await fetch(`${sandbox.url}/sandbox/users/oX/messages?appId=${B.appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: C.appId, content: 'hi' }),
    });
    // assess
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Json).error.code).toBe('UNKNOWN_ACCOUNT');
    expect(conflict.status).toBe(400);
    expect(((await conflict.json()) as Json).error.message).toMatch(/appId/);
    expect(() => sandbox.account('wxnosuchaccount')).toThrow(SandboxUsageError);
  });
});

describe('sandbox: pushes per account', () => {
  const { sandbox } = useSandbox({ ...A, accounts: [B, C] });
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.stop());
  beforeEach(() => {
    receiver.received.length = 0;
  });

  it("pushes each account's users to its own URL, signed with its own token, encrypted with its own key and AppID", async () => {
    // prepare: A plain, B safe mode with its own key, C plain with another token; B set over HTTP
    const base = receiver.url.replace(/\/wechat\/callback$/, '');
    sandbox.configureCallback({ url: `${base}/callback`, token: 'tokenA' });
    await postJson(`${sandbox.url}/sandbox/callback?appId=${B.appId}`, {
      url: `${base}/callback/${B.appId}`,
      token: 'tokenB',
      encodingAesKey: KEY_B,
    });
    sandbox.account(C.appId).configureCallback({ url: `${base}/callback/${C.appId}`, token: 'tokenC' });
    // act
    const a = await userWrites(sandbox, 'oPushA', 'to A');
    const b = await userWrites(sandbox, 'oPushB', 'to B', B.appId);
    const c = await sandbox.account(C.appId).simulateUser('oPushC', { type: 'text', content: 'to C' });
    // assess
    expect([a.delivered, b.delivered, c.delivered]).toEqual([true, true, true]);
    const [ra, rb, rc] = receiver.received;
    expect([ra?.url.pathname, rb?.url.pathname, rc?.url.pathname]).toEqual(['/callback', `/callback/${B.appId}`, `/callback/${C.appId}`]);
    const signedWith = (r: typeof ra, token: string) =>
      r!.url.searchParams.get('signature') === sha1Sorted(token, r!.url.searchParams.get('timestamp')!, r!.url.searchParams.get('nonce')!);
    expect([signedWith(ra, 'tokenA'), signedWith(rb, 'tokenB'), signedWith(rc, 'tokenC')]).toEqual([true, true, true]);
    expect([signedWith(rb, 'tokenA'), signedWith(rc, 'tokenB')]).toEqual([false, false]);
    // B's push is encrypted with B's key, and carries B's AppID and B's original ID.
    const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(rb!.body)![1]!;
    expect(rb!.url.searchParams.get('msg_signature')).toBe(
      sha1Sorted('tokenB', rb!.url.searchParams.get('timestamp')!, rb!.url.searchParams.get('nonce')!, encrypt),
    );
    const inner = decrypt(KEY_B, encrypt);
    expect(inner.appId).toBe(B.appId);
    expect(inner.message).toContain(`<ToUserName><![CDATA[${sandbox.account(B.appId).ghId}]]></ToUserName>`);
    expect(inner.message).toContain('<Content><![CDATA[to B]]></Content>');
    expect(ra!.body).toContain('<ToUserName><![CDATA[gh_sandbox]]></ToUserName>');
    expect(c.message.ToUserName).toBe(sandbox.account(C.appId).ghId);
    // GET /sandbox/callback shows each account's target, never its token or key.
    const shown = await fetch(`${sandbox.url}/sandbox/callback?appId=${B.appId}`).then((r) => r.text());
    expect(JSON.parse(shown).callback).toEqual({ url: `${base}/callback/${B.appId}`, mode: 'safe', format: 'xml' });
    expect(shown).not.toContain('tokenB');
    expect(shown).not.toContain(KEY_B);
  });

  it("takes a passive reply from B's server only when it is signed and encrypted as B", async () => {
    // prepare: B's server answers a passive reply from B's original ID, encrypted as B would
    const ghB = sandbox.account(B.appId).ghId;
    const { encryptMessage } = await import('../../functions/dev/sandbox');
    const replying = await startReceiver((r, _n, res) => {
      const ts = r.url.searchParams.get('timestamp')!;
      const nonce = 'n1';
      const plain = `<xml><ToUserName><![CDATA[oReplyB]]></ToUserName><FromUserName><![CDATA[${ghB}]]></FromUserName><CreateTime>${ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi from B]]></Content></xml>`;
      const enc = encryptMessage(KEY_B, B.appId, plain);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<xml><Encrypt><![CDATA[${enc}]]></Encrypt><MsgSignature><![CDATA[${sha1Sorted('tokenB', ts, nonce, enc)}]]></MsgSignature><TimeStamp>${ts}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`,
      );
    });
    try {
      sandbox.account(B.appId).configureCallback({ url: replying.url, token: 'tokenB', encodingAesKey: KEY_B });
      // act
      const pushed = await userWrites(sandbox, 'oReplyB', 'hi', B.appId);
      // assess
      expect(pushed.reply).toMatchObject({ MsgType: 'text', encrypted: true });
      expect(sandbox.account(B.appId).messages('oReplyB')).toMatchObject([{ channel: 'passive', msgtype: 'text' }]);
      expect(sandbox.messages('oReplyB')).toEqual([]);
    } finally {
      await replying.stop();
    }
  });
});

describe('sandbox: accounts from SANDBOX_ACCOUNTS and the accounts option', () => {
  it('reads appId:appSecret[:callbackToken[:encodingAesKey]] entries, comma-separated', () => {
    // act
    const accounts = parseSandboxAccounts(` wxA:secretA , wxB:secretB:tokenB:${KEY_B}`);
    // assess
    expect(accounts).toEqual([
      { appId: 'wxA', appSecret: 'secretA' },
      { appId: 'wxB', appSecret: 'secretB', callbackToken: 'tokenB', encodingAesKey: KEY_B },
    ]);
    expect(parseSandboxAccounts('')).toEqual([]);
    expect(parseSandboxAccounts(undefined)).toEqual([]);
  });

  it('reads a JSON array too, with a callback URL of its own', () => {
    // act
    const accounts = parseSandboxAccounts(
      JSON.stringify([{ appId: 'wxA', appSecret: 's', callbackUrl: 'http://127.0.0.1:3000/callback/wxA' }]),
    );
    // assess
    expect(accounts).toEqual([{ appId: 'wxA', appSecret: 's', callbackUrl: 'http://127.0.0.1:3000/callback/wxA' }]);
  });

  it.each([
    ['wxA', /entry 1 \(wxA\): give appId:appSecret/],
    ['wxA:s1,wxA:s2', /entry 2 \(wxA\): the AppID is already listed/],
    ['wx-A:topsecret', /entry 1: appId must be/],
    ['wxA:topsecret:no', /entry 1 \(wxA\): callbackToken must be 3-32/],
    ['wxA:topsecret:tokenA:short', /entry 1 \(wxA\): encodingAesKey must be 43/],
    ['[1]', /entry 1: must be an object/],
    ['[nope', /not a JSON array/],
  ])('refuses %j, naming the entry and the rule, never the secret', (value, message) => {
    // act
    let error: unknown;
    try {
      parseSandboxAccounts(value);
    } catch (e) {
      error = e;
    }
    // assess
    expect(error).toBeInstanceOf(SandboxUsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('topsecret');
  });

  it('refuses an extra account with the AppID of another', async () => {
    await expect(startSandbox({ ...A, accounts: [{ ...A, appSecret: 'other' }] })).rejects.toThrow(/already hosts/);
    await expect(startSandbox({ accounts: [{ appId: 'wxB', appSecret: '' }] })).rejects.toThrow(/appSecret is required/);
  });

  it("never logs an account's secret or token", async () => {
    // prepare
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    const s = await startSandbox({ ...A, accounts: [B], quiet: false });
    try {
      // act
      const token = await tokenOf(s, B);
      await stable(s, B.appId, B.appSecret);
      await userWrites(s, 'oLog', 'hi', B.appId);
      await sendText(s, token, 'oLog');
      // assess
      const log = lines.join('\n');
      expect(log).toContain(`[${B.appId}]`);
      expect(log).not.toContain(B.appSecret);
      expect(log).not.toContain(token);
      const requests = await fetch(`${s.url}/sandbox/requests?appId=${B.appId}`).then((r) => r.text());
      expect(requests).not.toContain(B.appSecret);
      expect(requests).not.toContain(token);
    } finally {
      spy.mockRestore();
      await s.stop();
    }
  });

  it("remembers every account's users and tokens across a restart (stateFile)", async () => {
    // prepare
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-accounts-'));
    const stateFile = join(dir, 'sandbox.json');
    try {
      const first = await startSandbox({ ...A, accounts: [B], stateFile, quiet: true });
      await userWrites(first, 'oKeptB', 'hi', B.appId);
      const token = await tokenOf(first, B);
      await first.stop();
      // act
      const second = await startSandbox({ ...A, accounts: [B], stateFile, quiet: true });
      try {
        // assess
        expect(second.account(B.appId).user('oKeptB')?.following).toBe(true);
        expect(second.user('oKeptB')).toBeUndefined();
        expect((await sendText(second, token, 'oKeptB')).errcode).toBe(0);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
