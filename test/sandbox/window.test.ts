import type { Sandbox } from '../../functions/dev/sandbox';
import { classicToken, HOUR, MINUTE, useSandbox, SECOND, sendText } from './helpers';

const USER = 'o_window_user_0000000000001';

/** Sends n texts with a token fetched now (the clock may have moved past the previous one's life). */
async function sendMany(s: Sandbox, n: number): Promise<number[]> {
  const token = await classicToken(s);
  const codes: number[] = [];
  for (let i = 0; i < n; i++) codes.push((await sendText(s, token, USER, `m${i}`)).errcode as number);
  return codes;
}

describe('sandbox send window, current rules', () => {
  const { sandbox, clock } = useSandbox();

  it('allows 5 sends within 48 h of a message, then 45047', async () => {
    // prepare
    await sandbox.simulateUser(USER, { type: 'text', content: 'hi' });
    clock.advance(47 * HOUR);

    // act
    const codes = await sendMany(sandbox, 6);

    // assess
    expect(codes).toEqual([0, 0, 0, 0, 0, 45047]);
    expect(sandbox.messages(USER)).toHaveLength(5);
  });

  it('closes the window 48 h after the message (45015)', async () => {
    // prepare
    await sandbox.simulateUser(USER, { type: 'image' });
    clock.advance(48 * HOUR);

    // act
    const [answer] = await sendMany(sandbox, 1);

    // assess
    expect(answer).toBe(45015);
  });

  it.each(['subscribe', 'SCAN', 'CLICK', 'scancode_push', 'scancode_waitmsg'] as const)(
    'allows 3 sends within 1 minute of %s',
    async (event) => {
      // prepare
      await sandbox.simulateUser(USER, { type: 'event', event });
      clock.advance(59 * SECOND);

      // act
      const codes = await sendMany(sandbox, 4);

      // assess
      expect(codes).toEqual([0, 0, 0, 45047]);
    },
  );

  it('closes an event window after 1 minute (45015)', async () => {
    // prepare
    await sandbox.simulateUser(USER, { type: 'event', event: 'subscribe' });
    clock.advance(MINUTE);

    // act
    const [answer] = await sendMany(sandbox, 1);

    // assess
    expect(answer).toBe(45015);
  });

  it.each(['VIEW', 'LOCATION'] as const)('opens nothing on %s', async (event) => {
    // prepare
    await sandbox.simulateUser(USER, { type: 'event', event });

    // act
    const [answer] = await sendMany(sandbox, 1);

    // assess
    expect(answer).toBe(45015);
  });

  it('resets the window and its count on a new interaction; the last one decides', async () => {
    // prepare
    await sandbox.simulateUser(USER, { type: 'text', content: 'first' });
    await sendMany(sandbox, 5);
    await sandbox.simulateUser(USER, { type: 'menuReply', menuId: '101', content: 'Yes' });

    // act
    const afterMessage = await sendMany(sandbox, 1);
    await sandbox.simulateUser(USER, { type: 'event', event: 'CLICK', eventKey: 'HELP' });
    const afterClick = await sendMany(sandbox, 4);

    // assess
    expect(afterMessage).toEqual([0]);
    expect(afterClick).toEqual([0, 0, 0, 45047]);
  });

  it('counts a tap on a menu answer as a menu click: 3 sends within 1 minute, not 5 within 48 h', async () => {
    // prepare
    await sandbox.simulateUser(USER, { type: 'menuReply', menuId: '101', content: 'Yes' });

    // act
    const answers = await sendMany(sandbox, 4);

    // assess
    expect(answers).toEqual([0, 0, 0, 45047]);
    expect(sandbox.user(USER)!.window).toMatchObject({ kind: 'event', maxSends: 3, endsAt: sandbox.user(USER)!.window!.openedAt + MINUTE });
  });

  it('refuses sends after an unsubscribe (45015)', async () => {
    // prepare
    await sandbox.simulateUser(USER, { type: 'text', content: 'hi' });
    await sandbox.simulateUser(USER, { type: 'event', event: 'unsubscribe' });

    // act
    const [answer] = await sendMany(sandbox, 1);

    // assess
    expect(answer).toBe(45015);
    expect(sandbox.user(USER)).toMatchObject({ following: false, canSend: { ok: false, errcode: 45015 } });
  });
});

describe('sandbox send window, seed rules', () => {
  const { sandbox, clock } = useSandbox({ rules: 'seed' });

  it('allows any number of sends for 48 h after an event', async () => {
    // prepare
    await sandbox.simulateUser(USER, { type: 'event', event: 'subscribe' });
    clock.advance(47 * HOUR);

    // act
    const codes = await sendMany(sandbox, 8);
    clock.advance(HOUR);
    const [after] = await sendMany(sandbox, 1);

    // assess
    expect(codes).toEqual(Array(8).fill(0));
    expect(after).toBe(45015);
  });
});
