import { SandboxUsageError, type Fault } from '../../functions/dev/sandbox';
import { classicToken, classicTokenUrl, getJson, useSandbox, sendText } from './helpers';

const USER = 'o_fault_user_0000000000001';
const SEND = '/cgi-bin/message/custom/send';

describe('sandbox faults', () => {
  const { sandbox } = useSandbox();
  let token: string;

  beforeEach(async () => {
    token = await classicToken(sandbox);
    await sandbox.simulateUser(USER, { type: 'text', content: 'hi' });
  });

  it('answers an errcode fault `times` times, then normally', async () => {
    // prepare
    sandbox.injectFault({ path: SEND, kind: 'errcode', errcode: -1, times: 2 });

    // act
    const answers = [await sendText(sandbox, token, USER), await sendText(sandbox, token, USER), await sendText(sandbox, token, USER)];

    // assess
    expect(answers.map((a) => a.errcode)).toEqual([-1, -1, 0]);
    expect(answers[0]?.errmsg).toBe('system error');
    expect(sandbox.messages(USER)).toHaveLength(1);
    expect(sandbox.count(SEND)).toBe(3);
  });

  it('consumes faults on a path in the order injected', async () => {
    // prepare
    sandbox.injectFault({ path: SEND, kind: 'http', status: 502 });
    sandbox.injectFault({ path: SEND, kind: 'errcode', errcode: 45009, errmsg: 'quota' });

    // act
    const first = await fetch(`${sandbox.url}${SEND}?access_token=${token}`, {
      method: 'POST',
      body: JSON.stringify({ touser: USER, msgtype: 'text', text: { content: 'x' } }),
    });
    const second = await sendText(sandbox, token, USER);
    const third = await sendText(sandbox, token, USER);

    // assess
    expect(first.status).toBe(502);
    expect(second).toEqual({ errcode: 45009, errmsg: 'quota' });
    expect(third.errcode).toBe(0);
    expect(sandbox.requests(SEND).map((r) => r.answer?.fault)).toEqual(['http', 'errcode', undefined]);
  });

  it('delays a request, then handles it normally', async () => {
    // prepare
    sandbox.injectFault({ path: SEND, kind: 'delay', ms: 30 });

    // act
    const answer = await sendText(sandbox, token, USER);

    // assess
    expect(answer.errcode).toBe(0);
    expect(sandbox.requests(SEND)[0]?.answer).toMatchObject({ status: 200, fault: 'delay' });
  });

  it('resets the connection', async () => {
    // prepare
    sandbox.injectFault({ path: SEND, kind: 'reset' });

    // act
    const outcome = await sendText(sandbox, token, USER).then(
      () => 'answered',
      () => 'failed',
    );

    // assess
    expect(outcome).toBe('failed');
    expect(sandbox.messages()).toEqual([]);
    expect(sandbox.requests(SEND)[0]?.answer).toEqual({ status: 0, fault: 'reset' });
  });

  it('applies to token endpoints, and `*` to any API path', async () => {
    // prepare
    sandbox.injectFault({ path: '/cgi-bin/token', kind: 'errcode', errcode: 40164 });
    sandbox.injectFault({ path: '*', kind: 'errcode', errcode: 48001 });

    // act
    const tokenAnswer = await getJson(classicTokenUrl(sandbox));
    const anyAnswer = await sendText(sandbox, token, USER);

    // assess
    expect(tokenAnswer.errcode).toBe(40164);
    expect(anyAnswer.errcode).toBe(48001);
  });

  it('is cleared by reset', async () => {
    // prepare
    sandbox.injectFault({ path: SEND, kind: 'errcode', errcode: -1 });

    // act
    sandbox.reset();
    token = await classicToken(sandbox);
    await sandbox.simulateUser(USER, { type: 'text', content: 'hi' });
    const answer = await sendText(sandbox, token, USER);

    // assess
    expect(answer.errcode).toBe(0);
  });

  it.each([
    [{ path: 'no-slash', kind: 'reset' }],
    [{ path: SEND, kind: 'boom' }],
    [{ path: SEND, kind: 'errcode' }],
    [{ path: SEND, kind: 'http', status: 42 }],
    [{ path: SEND, kind: 'reset', times: 0 }],
  ])('refuses a malformed fault %j', (fault) => {
    // act / assess
    expect(() => sandbox.injectFault(fault as unknown as Fault)).toThrow(SandboxUsageError);
  });
});
