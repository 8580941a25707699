import { classicToken, useSandbox, SECOND, sendText, typing } from './helpers';

const USER = 'o_typing_user_000000000001';

describe('sandbox typing', () => {
  const { sandbox, clock } = useSandbox();
  let token: string;

  beforeEach(async () => {
    token = await classicToken(sandbox);
    await sandbox.simulateUser(USER, { type: 'text', content: 'hi' });
  });

  it('accepts Typing within 30 s of the user message, and records it', async () => {
    // prepare
    clock.advance(30 * SECOND);

    // act
    const answer = await typing(sandbox, token, USER, 'Typing');

    // assess
    expect(answer).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(sandbox.typingEvents(USER)).toEqual([{ openid: USER, command: 'Typing', at: clock.t }]);
  });

  it('refuses Typing more than 30 s after the last message exchanged (45080)', async () => {
    // prepare
    clock.advance(31 * SECOND);

    // act
    const answer = await typing(sandbox, token, USER, 'Typing');

    // assess
    expect(answer.errcode).toBe(45080);
  });

  it('counts an accepted send as a message exchanged', async () => {
    // prepare
    clock.advance(60 * SECOND);
    await sendText(sandbox, token, USER);
    clock.advance(10 * SECOND);

    // act
    const answer = await typing(sandbox, token, USER, 'Typing');

    // assess
    expect(answer.errcode).toBe(0);
  });

  it('refuses Typing while one shows (45081) and accepts it again 15 s later', async () => {
    // prepare
    await typing(sandbox, token, USER, 'Typing');
    clock.advance(14 * SECOND);

    // act
    const during = await typing(sandbox, token, USER, 'Typing');
    clock.advance(SECOND);
    const after = await typing(sandbox, token, USER, 'Typing');

    // assess
    expect(during.errcode).toBe(45081);
    expect(after.errcode).toBe(0);
  });

  it('ends typing on CancelTyping', async () => {
    // prepare
    await typing(sandbox, token, USER, 'Typing');

    // act
    const cancel = await typing(sandbox, token, USER, 'CancelTyping');
    const again = await typing(sandbox, token, USER, 'Typing');

    // assess
    expect(cancel.errcode).toBe(0);
    expect(again.errcode).toBe(0);
    expect(sandbox.typingEvents(USER).map((t) => t.command)).toEqual(['Typing', 'CancelTyping', 'Typing']);
  });

  it('ends typing when a message is sent', async () => {
    // prepare
    await typing(sandbox, token, USER, 'Typing');

    // act
    await sendText(sandbox, token, USER);
    const again = await typing(sandbox, token, USER, 'Typing');

    // assess
    expect(again.errcode).toBe(0);
  });

  it('refuses a bad command (45072)', async () => {
    // act
    const answer = await typing(sandbox, token, USER, 'typing');

    // assess
    expect(answer.errcode).toBe(45072);
  });

  it('refuses Typing when the send window does not allow a message (45015)', async () => {
    // prepare
    await sandbox.simulateUser(USER, { type: 'event', event: 'unsubscribe' });

    // act
    const answer = await typing(sandbox, token, USER, 'Typing');

    // assess
    expect(answer.errcode).toBe(45015);
  });

  it('refuses Typing to an unknown openid (40003)', async () => {
    // act
    const answer = await typing(sandbox, token, 'o_nobody', 'Typing');

    // assess
    expect(answer.errcode).toBe(40003);
  });
});
