import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendWindowClosedError, TypingActiveError, TypingNotAllowedError } from '../../functions/core/errors';
import type { RulesProfile } from '../../functions/core/limits';
import { keys, marshallKey, sendCondition, WindowStore, type WindowPolicy } from '../../functions/store';
import { useTestTable } from './helpers';

const APP_ID = 'wx-window-app';
const HOUR = 3_600_000;

describe('WindowStore', () => {
  const { dynamo, table, clock } = useTestTable();

  const store = (options: { profile?: RulesProfile; policy?: WindowPolicy } = {}) =>
    new WindowStore({ client: dynamo.client, tableName: table.name, appId: APP_ID, now: clock.now, ...options });

  const item = async (openid: string) =>
    (
      await dynamo.client.send(
        new GetItemCommand({ TableName: table.name, Key: marshallKey(keys.window(APP_ID, openid)), ConsistentRead: true }),
      )
    ).Item;

  /** Runs `count` acquireSend calls at once and sorts the outcomes. */
  const sendConcurrently = async (windows: WindowStore, openid: string, count: number) => {
    const outcomes = await Promise.allSettled(Array.from({ length: count }, () => windows.acquireSend(openid)));
    const refused = outcomes
      .filter((o): o is PromiseRejectedResult => o.status === 'rejected')
      .map((o) => o.reason as SendWindowClosedError);
    return { allowed: outcomes.length - refused.length, refused };
  };

  describe('send window', () => {
    test('an unfollow closes the window at once; a late push from before it does not reopen it; a new follow does', async () => {
      // Prepare
      const windows = store();
      await windows.recordInbound('o_gone', 'message', clock.now() - 1000);
      // Act
      const afterUnfollow = await windows.recordUnfollow('o_gone', clock.now());
      const refused = await windows.acquireSend('o_gone').catch((e) => e);
      const late = await windows.recordInbound('o_gone', 'message', clock.now() - 500);
      clock.advance(1000);
      const back = await windows.recordInbound('o_gone', 'event', clock.now());
      // Assess
      expect(afterUnfollow).toMatchObject({ canSend: false, sendRefusal: 'unfollowed', canType: false });
      expect(refused).toBeInstanceOf(SendWindowClosedError);
      expect(refused).toMatchObject({ reason: 'unfollowed' });
      expect(refused.message).toContain('has unfollowed the official account');
      expect(late.sendRefusal).toBe('unfollowed');
      expect(back).toMatchObject({ canSend: true, sendsLeft: 3 });
      await expect(windows.acquireSend('o_gone')).resolves.toBeDefined();
    });

    test('20 concurrent sends after a message: exactly 5 allowed, 15 refused as quota-used', async () => {
      // Prepare
      const windows = store();
      await windows.recordInbound('o_msg', 'message', clock.now());

      // Act
      const { allowed, refused } = await sendConcurrently(windows, 'o_msg', 20);

      // Assess
      expect(allowed).toBe(5);
      expect(refused).toHaveLength(15);
      for (const error of refused) {
        expect(error).toBeInstanceOf(SendWindowClosedError);
        expect(error.reason).toBe('quota-used');
        expect(error.status).toBe(409);
      }
      expect(refused[0]!.message).toContain("WeChat's current rule: a message allows 5 sends within 48 h");
      expect(refused[0]!.message).toContain('all 5 are used');
      expect((await windows.state('o_msg')).sendsLeft).toBe(0);
    });

    test('20 concurrent sends after a menu click: exactly 3 allowed', async () => {
      // Prepare
      const windows = store();
      await windows.recordInbound('o_evt', 'event', clock.now());

      // Act
      const { allowed, refused } = await sendConcurrently(windows, 'o_evt', 20);

      // Assess
      expect(allowed).toBe(3);
      expect(refused.every((e) => e.reason === 'quota-used')).toBe(true);
    });

    test('the seed profile counts nothing: 20 of 20 allowed', async () => {
      // Prepare
      const windows = store({ profile: 'seed' });
      await windows.recordInbound('o_seed', 'message', clock.now());

      // Act
      const { allowed } = await sendConcurrently(windows, 'o_seed', 20);

      // Assess
      expect(allowed).toBe(20);
      expect(Number((await item('o_seed'))?.sendsUsed?.N)).toBe(20);
    });

    test.each<[RulesProfile, 'message' | 'event', string, number]>([
      ['current', 'message', '48 h', 48 * HOUR],
      ['current', 'event', '1 minute', 60_000],
      ['seed', 'event', '48 h', 48 * HOUR],
    ])('%s rules: the window an interaction of kind %s opens closes after %s', async (profile, kind, _label, duration) => {
      // Prepare
      const windows = store({ profile });
      const at = clock.now();
      await windows.recordInbound('o_exp', kind, at);

      // Act
      clock.advance(duration - 1);
      const lastMoment = await windows.acquireSend('o_exp');
      clock.advance(1);
      const after = await windows.acquireSend('o_exp').catch((e: unknown) => e);

      // Assess
      expect(lastMoment.observedRefusal).toBeUndefined();
      expect(after).toBeInstanceOf(SendWindowClosedError);
      expect((after as SendWindowClosedError).reason).toBe('window-expired');
      expect((after as SendWindowClosedError).windowEnd).toBe(at + duration);
      expect((after as SendWindowClosedError).message).toContain(new Date(at + duration).toISOString());
    });

    test('no recorded interaction: refused as no-interaction, naming the rules', async () => {
      // Prepare
      const windows = store();

      // Act
      const error = await windows.acquireSend('o_nobody').catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(SendWindowClosedError);
      expect((error as SendWindowClosedError).reason).toBe('no-interaction');
      expect((error as SendWindowClosedError).openid).toBe('o_nobody');
      expect((error as Error).message).toContain("WeChat's current rule");
      expect(await item('o_nobody')).toBeUndefined();
    });

    test('an older or replayed interaction does not reset the count; a newer one does', async () => {
      // Prepare: 5 sends used after a message at t
      const windows = store();
      const t = clock.now() - 10_000;
      await windows.recordInbound('o_replay', 'message', t);
      expect((await sendConcurrently(windows, 'o_replay', 5)).allowed).toBe(5);

      // Act
      const replayed = await windows.recordInbound('o_replay', 'message', t);
      const older = await windows.recordInbound('o_replay', 'event', t - 1_000);
      const stillRefused = await windows.acquireSend('o_replay').catch((e: unknown) => e);
      const newer = await windows.recordInbound('o_replay', 'message', t + 1_000);

      // Assess
      expect(replayed.sendsLeft).toBe(0);
      expect(older).toMatchObject({ lastInboundAt: t, lastInboundKind: 'message', sendsLeft: 0 });
      expect((stillRefused as SendWindowClosedError).reason).toBe('quota-used');
      expect(newer).toMatchObject({ lastInboundAt: t + 1_000, sendsLeft: 5, canSend: true });
    });

    test('an interaction time in the future is recorded as now', async () => {
      // Prepare
      const windows = store();

      // Act
      const state = await windows.recordInbound('o_future', 'message', clock.now() + HOUR);

      // Assess
      expect(state.lastInboundAt).toBe(clock.now());
    });

    test('release() gives the count back, once, and only within the same window', async () => {
      // Prepare
      const windows = store();
      await windows.recordInbound('o_release', 'message', clock.now());
      const permits = await Promise.all(Array.from({ length: 5 }, () => windows.acquireSend('o_release')));

      // Act
      await permits[0]!.release();
      await permits[0]!.release();
      const afterRelease = await windows.state('o_release');
      await windows.acquireSend('o_release');
      clock.advance(1_000);
      await windows.recordInbound('o_release', 'message', clock.now());
      await permits[1]!.release();
      const afterNewInteraction = await windows.state('o_release');

      // Assess
      expect(afterRelease.sendsLeft).toBe(1);
      expect(afterNewInteraction.sendsLeft).toBe(5);
      expect(Number((await item('o_release'))?.sendsUsed?.N)).toBe(0);
    });

    test('the send condition is generated from the rules', () => {
      // Act
      const current = sendCondition('current', 1_000_000_000);
      const seed = sendCondition('seed', 1_000_000_000);

      // Assess
      expect(current.expression).toBe(
        '(#lastInboundKind = :kind_message AND #lastInboundAt > :since_message AND #sendsUsed < :max_message) OR ' +
          '(#lastInboundKind = :kind_event AND #lastInboundAt > :since_event AND #sendsUsed < :max_event)',
      );
      expect(current.values[':max_message']).toEqual({ N: '5' });
      expect(current.values[':since_event']).toEqual({ N: String(1_000_000_000 - 60_000) });
      expect(seed.expression).not.toContain('sendsUsed');
    });
  });

  describe('typing', () => {
    test('Typing needs an interaction within 30 s, lasts 15 s, and cannot be repeated meanwhile', async () => {
      // Prepare
      const windows = store();
      const refusedBefore = await windows.acquireTyping('o_type', 'Typing').catch((e: unknown) => e);
      await windows.recordInbound('o_type', 'message', clock.now());

      // Act
      const startedAt = clock.now();
      const first = await windows.acquireTyping('o_type', 'Typing');
      clock.advance(14_999);
      const repeated = await windows.acquireTyping('o_type', 'Typing').catch((e: unknown) => e);
      clock.advance(1);
      const afterIndicatorEnded = await windows.acquireTyping('o_type', 'Typing');
      clock.advance(15_001); // 30.001 s after the message
      const tooLate = await windows.acquireTyping('o_type', 'Typing').catch((e: unknown) => e);

      // Assess
      expect(refusedBefore).toBeInstanceOf(TypingNotAllowedError);
      expect((refusedBefore as Error).message).toContain('none is recorded');
      expect(first.observedRefusal).toBeUndefined();
      expect(repeated).toBeInstanceOf(TypingActiveError);
      expect((repeated as TypingActiveError).typingUntil).toBe(startedAt + 15_000);
      expect((repeated as Error).message).toContain('already showing');
      expect(afterIndicatorEnded.observedRefusal).toBeUndefined();
      expect(tooLate).toBeInstanceOf(TypingNotAllowedError);
      expect((tooLate as Error).message).toContain('within the last 30 s');
    });

    test('CancelTyping ends the indicator, and so does a sent message', async () => {
      // Prepare
      const windows = store();
      await windows.recordInbound('o_cancel', 'message', clock.now());
      await windows.acquireTyping('o_cancel', 'Typing');

      // Act
      await windows.acquireTyping('o_cancel', 'CancelTyping');
      const afterCancel = await windows.acquireTyping('o_cancel', 'Typing');
      await windows.acquireSend('o_cancel');
      const afterSend = await windows.acquireTyping('o_cancel', 'Typing');

      // Assess
      expect(afterCancel).toBeDefined();
      expect(afterSend).toBeDefined();
      expect((await windows.state('o_cancel')).typingActive).toBe(true);
    });

    test('a message sent by the account also counts as an interaction for Typing', async () => {
      // Prepare: the user wrote 40 s ago, the account answered just now
      const windows = store();
      await windows.recordInbound('o_out', 'message', clock.now());
      clock.advance(40_000);
      const refused = await windows.acquireTyping('o_out', 'Typing').catch((e: unknown) => e);
      await windows.acquireSend('o_out');

      // Act
      const permit = await windows.acquireTyping('o_out', 'Typing');

      // Assess
      expect(refused).toBeInstanceOf(TypingNotAllowedError);
      expect(permit.observedRefusal).toBeUndefined();
    });

    test('release() clears the typing state this permit set', async () => {
      // Prepare
      const windows = store();
      await windows.recordInbound('o_trel', 'message', clock.now());
      const permit = await windows.acquireTyping('o_trel', 'Typing');

      // Act
      await permit.release();

      // Assess
      expect((await windows.state('o_trel')).typingActive).toBe(false);
      await expect(windows.acquireTyping('o_trel', 'Typing')).resolves.toBeDefined();
    });

    test('CancelTyping for an unknown user creates nothing', async () => {
      // Act
      await store().acquireTyping('o_ghost', 'CancelTyping');

      // Assess
      expect(await item('o_ghost')).toBeUndefined();
    });
  });

  describe('policies', () => {
    test('observe never throws, counts and records, and reports what enforce would have refused', async () => {
      // Prepare
      const windows = store({ policy: 'observe' });

      // Act
      const noInteraction = await windows.acquireSend('o_obs');
      await windows.recordInbound('o_obs', 'message', clock.now());
      const permits = await Promise.all(Array.from({ length: 7 }, () => windows.acquireSend('o_obs')));
      clock.advance(40_000);
      const typing = await windows.acquireTyping('o_obs', 'Typing');

      // Assess
      expect(noInteraction.observedRefusal).toBe('no-interaction');
      expect(noInteraction.observedError).toBeInstanceOf(SendWindowClosedError);
      expect(permits.filter((p) => p.observedRefusal === undefined)).toHaveLength(5);
      expect(permits.filter((p) => p.observedRefusal === 'quota-used')).toHaveLength(2);
      expect(Number((await item('o_obs'))?.sendsUsed?.N)).toBe(7);
      expect(typing.observedRefusal).toBe('no-recent-interaction'); // the last exchange was 40 s ago
      expect((await windows.state('o_obs')).typingActive).toBe(true);
    });

    test('observe reports a refused Typing and still records it', async () => {
      // Prepare
      const windows = store({ policy: 'observe' });

      // Act
      const first = await windows.acquireTyping('o_obs_t', 'Typing');
      const second = await windows.acquireTyping('o_obs_t', 'Typing');

      // Assess
      expect(first.observedRefusal).toBe('no-recent-interaction');
      expect(first.observedError).toBeInstanceOf(TypingNotAllowedError);
      expect(second.observedRefusal).toBe('typing-active');
      expect(second.observedError).toBeInstanceOf(TypingActiveError);
      expect(Number((await item('o_obs_t'))?.typingUntil?.N)).toBe(clock.now() + 15_000);
    });

    test('off writes nothing and refuses nothing', async () => {
      // Prepare
      const windows = store({ policy: 'off' });

      // Act
      const send = await windows.acquireSend('o_off');
      const typing = await windows.acquireTyping('o_off', 'Typing');
      await send.release();
      await typing.release();

      // Assess
      expect(send.observedRefusal).toBeUndefined();
      expect(await item('o_off')).toBeUndefined();
    });
  });
});
