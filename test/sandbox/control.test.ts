import { classicToken, getJson, postJson, useSandbox, sendText, startReceiver, typing, type Json } from './helpers';

const USER = 'o_control_user_00000000001';

describe('sandbox control plane over HTTP', () => {
  const { sandbox } = useSandbox({ appSecret: 'do-not-leak-this' }, { reset: false });

  beforeEach(async () => {
    await postJson(`${sandbox.url}/sandbox/reset`, {});
  });

  const control = (path: string, body?: unknown): Promise<Json> =>
    body === undefined ? getJson(`${sandbox.url}${path}`) : postJson(`${sandbox.url}${path}`, body);

  it('describes itself without the secret', async () => {
    // act
    const res = await fetch(`${sandbox.url}/sandbox`);
    const text = await res.text();

    // assess
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ url: sandbox.url, appId: sandbox.appId, rules: 'current' });
    expect(text).not.toContain('do-not-leak-this');
  });

  it('simulates a text and an event, and shows what was sent', async () => {
    // prepare
    const simulated = await control(`/sandbox/users/${USER}/messages`, { content: 'hi' });
    const token = await classicToken(sandbox);
    await sendText(sandbox, token, USER, 'answer');
    const event = await control(`/sandbox/users/${USER}/events`, { event: 'CLICK', eventKey: 'HELP' });

    // act
    const messages = await control(`/sandbox/messages?openid=${USER}`);
    const others = await control('/sandbox/messages?openid=o_someone_else');
    const counts = await control('/sandbox/counts');
    const user = await control(`/sandbox/users/${USER}`);

    // assess
    expect(simulated).toMatchObject({ delivered: false, message: { MsgType: 'text', Content: 'hi', FromUserName: USER } });
    expect(event.message).toMatchObject({ MsgType: 'event', Event: 'CLICK', EventKey: 'HELP' });
    expect(messages.messages).toEqual([
      expect.objectContaining({ openid: USER, msgtype: 'text', body: { touser: USER, msgtype: 'text', text: { content: 'answer' } } }),
    ]);
    expect(others.messages).toEqual([]);
    expect(counts.counts).toEqual({ '/cgi-bin/token': 1, '/cgi-bin/message/custom/send': 1 });
    expect(user).toMatchObject({ openid: USER, following: true, window: { kind: 'event', sends: 0, maxSends: 3 }, canSend: { ok: true } });
  });

  it('switches to an account without the customer-service API: 48001 on custom/send, typing and the kf APIs, tokens still issued', async () => {
    // prepare
    await control(`/sandbox/users/${USER}/messages`, { content: 'hi' });
    const put = (body: unknown) =>
      fetch(`${sandbox.url}/sandbox/account`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // act
    const off = await put({ customerServiceApi: false });
    const token = await classicToken(sandbox);
    const send = await sendText(sandbox, token, USER, 'answer');
    const typed = await typing(sandbox, token, USER, 'Typing');
    const kfList = await getJson(`${sandbox.url}/cgi-bin/customservice/getkflist?access_token=${token}`);
    const state = await control('/sandbox/account');
    const bad = await put({ customerServiceApi: 'no' });
    await put({ customerServiceApi: true });
    const sendAgain = await sendText(sandbox, token, USER, 'answer');
    // assess
    expect(off.status).toBe(200);
    expect([send.errcode, typed.errcode, kfList.errcode]).toEqual([48001, 48001, 48001]);
    expect(state).toEqual({ customerServiceApi: false });
    expect(bad.status).toBe(400);
    expect(sendAgain.errcode).toBe(0);
    expect(sandbox.messages(USER)).toHaveLength(1);
  });

  it('injects a fault', async () => {
    // prepare
    await control(`/sandbox/users/${USER}/messages`, { content: 'hi' });
    const token = await classicToken(sandbox);

    // act
    const injected = await control('/sandbox/faults', { path: '/cgi-bin/message/custom/send', kind: 'errcode', errcode: -1 });
    const answer = await sendText(sandbox, token, USER);

    // assess
    expect(injected.ok).toBe(true);
    expect(answer.errcode).toBe(-1);
  });

  it('invalidates tokens and resets state', async () => {
    // prepare
    await control(`/sandbox/users/${USER}/messages`, { content: 'hi' });
    const token = await classicToken(sandbox);

    // act
    await control('/sandbox/tokens/invalidate', {});
    const refused = await sendText(sandbox, token, USER);
    await control('/sandbox/reset', {});
    const counts = await control('/sandbox/counts');

    // assess
    expect(refused.errcode).toBe(40001);
    expect(counts.counts).toEqual({});
    expect(sandbox.user(USER)).toBeUndefined();
  });

  it('masks access tokens in the requests it serves', async () => {
    // prepare
    const token = await classicToken(sandbox);
    await sendText(sandbox, token, USER);

    // act
    const res = await fetch(`${sandbox.url}/sandbox/requests?path=/cgi-bin/message/custom/send`);
    const text = await res.text();

    // assess
    expect(text).not.toContain(token);
    expect((JSON.parse(text) as Json).requests[0].query.access_token).toBe('***');
  });

  it('configures and verifies a callback, never showing its token', async () => {
    // prepare
    const receiver = await startReceiver((r, _n, res) => {
      res.writeHead(200);
      res.end(r.method === 'GET' ? r.url.searchParams.get('echostr') : 'success');
    });

    try {
      // act
      const configured = await fetch(`${sandbox.url}/sandbox/callback`, {
        method: 'PUT',
        body: JSON.stringify({ url: receiver.url, token: 'Tok3n' }),
      });
      const configuredText = await configured.text();
      const verified = await control('/sandbox/callback/verify', {});
      const pushed = await control(`/sandbox/users/${USER}/events`, { event: 'subscribe' });

      // assess
      expect(configured.status).toBe(200);
      expect(configuredText).not.toContain('Tok3n');
      expect(verified.ok).toBe(true);
      expect(pushed).toMatchObject({ delivered: true, attempts: 1 });
    } finally {
      await fetch(`${sandbox.url}/sandbox/callback`, { method: 'DELETE' });
      await receiver.stop();
    }
  });

  it('answers 400 to bad input and 404 to unknown routes', async () => {
    // act
    const badFault = await fetch(`${sandbox.url}/sandbox/faults`, { method: 'POST', body: JSON.stringify({ path: '/x', kind: 'nope' }) });
    const badEvent = await fetch(`${sandbox.url}/sandbox/users/${USER}/events`, {
      method: 'POST',
      body: JSON.stringify({ event: 'dance' }),
    });
    const badJson = await fetch(`${sandbox.url}/sandbox/users/${USER}/messages`, { method: 'POST', body: '{' });
    const unknown = await fetch(`${sandbox.url}/sandbox/nothing`);
    const unknownUser = await fetch(`${sandbox.url}/sandbox/users/o_never`);

    // assess
    expect([badFault.status, badEvent.status, badJson.status]).toEqual([400, 400, 400]);
    expect(((await badFault.json()) as Json).error.code).toBe('INVALID_INPUT');
    expect(unknown.status).toBe(404);
    expect(unknownUser.status).toBe(404);
  });
});
