import { call, classicToken, postJson, useSandbox, sendText } from './helpers';

const USER = 'o_long_text_user_000000001';
const SEND = '/cgi-bin/message/custom/send';

describe('sandbox: long text and failing the n-th send', () => {
  const { sandbox } = useSandbox();
  let token: string;

  beforeEach(async () => {
    token = await classicToken(sandbox);
    await sandbox.simulateUser(USER, { type: 'text', content: 'hi' });
  });

  it('answers 45002 to a text over 2 048 bytes of UTF-8, and accepts one of exactly 2 048', async () => {
    // prepare: 682 Chinese characters of 3 bytes = 2 046 bytes, plus 2 or 3 ASCII bytes
    const fits = `${'中'.repeat(682)}ab`;
    const over = `${'中'.repeat(682)}abc`;

    // act
    const accepted = await call(sandbox, token, SEND, { touser: USER, msgtype: 'text', text: { content: fits } });
    const refused = await call(sandbox, token, SEND, { touser: USER, msgtype: 'text', text: { content: over } });

    // assess
    expect(accepted).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(refused).toEqual({ errcode: 45002, errmsg: 'content size out of limit: text.content is 2049 bytes of UTF-8; at most 2048' });
    expect(sandbox.messages(USER)).toHaveLength(1);
  });

  it('lets `after` requests through, then applies the fault (over the control plane)', async () => {
    // prepare
    const injected = await postJson(`${sandbox.url}/sandbox/faults`, { path: SEND, kind: 'errcode', errcode: 45047, after: 2 });

    // act
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await sendText(sandbox, token, USER)).errcode);

    // assess
    expect(injected.pending).toEqual([expect.objectContaining({ after: 2, left: 1 })]);
    expect(answers).toEqual([0, 0, 45047, 0]);
  });

  it('refuses a bad `after`', async () => {
    // act
    const answer = await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ path: SEND, kind: 'reset', after: -1 }),
    });

    // assess
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: { code: 'INVALID_INPUT', message: 'fault.after must be a non-negative integer' } });
  });
});
