/**
 * Turns as data (functions/core/turns.ts): the settings read from the environment and refused with the
 * variable's name, the order WeChat created messages in, when a turn is due and with how many messages.
 */
import { configFromEnv } from '../../functions/context/config';
import {
  countTurn,
  dueCheck,
  inCreationOrder,
  joinsTurn,
  turnSettingsFromEnv,
  turnText,
  type TurnMessage,
  type TurnSettings,
} from '../../functions/core/turns';
import type { InboundMessage } from '../../functions/core/callback';

const msg = (fields: Partial<InboundMessage>, receivedAt = 0, key = String(fields.MsgId ?? Math.random())): TurnMessage => ({
  key,
  receivedAt,
  detail: { message: { ToUserName: 'gh', FromUserName: 'o1', CreateTime: 100, MsgType: 'text', ...fields } as InboundMessage },
});
const SETTINGS: TurnSettings = { quietMs: 3000, maxWaitMs: 15000, maxMessages: 3, flushOn: ['image', 'click'], typing: false, history: 0 };

describe('turn settings', () => {
  test('off unless TURN_QUIET_MS is set; defaults for the rest', () => {
    expect(turnSettingsFromEnv({})).toBeUndefined();
    expect(turnSettingsFromEnv({ TURN_QUIET_MS: 'off' })).toBeUndefined();
    expect(turnSettingsFromEnv({ TURN_QUIET_MS: '3000', TURN_FLUSH_ON: 'image, CLICK' })).toEqual({
      quietMs: 3000,
      maxWaitMs: 15000,
      maxMessages: 10,
      flushOn: ['image', 'click'],
      limitPerHour: undefined,
      typing: false,
      history: 0,
    });
  });

  test.each([
    [{ TURN_QUIET_MS: '3s' }, /TURN_QUIET_MS must be a whole number from 100 to 900000, or off/],
    [{ TURN_QUIET_MS: '3000', TURN_MAX_MESSAGES: '0' }, /TURN_MAX_MESSAGES must be a whole number from 1 to 50/],
    [{ TURN_QUIET_MS: '3000', TURN_MAX_WAIT_MS: '-1' }, /TURN_MAX_WAIT_MS/],
    [{ TURN_QUIET_MS: '3000', TURN_FLUSH_ON: 'image,<b>' }, /TURN_FLUSH_ON must be a comma-separated list/],
    [{ TURN_QUIET_MS: '3000', TURN_TYPING: 'maybe' }, /TURN_TYPING must be true\/false, 1\/0, yes\/no or on\/off, got "maybe"/],
    [{ TURN_QUIET_MS: '3000', TURN_HISTORY: '5' }, /TURN_HISTORY needs CONVERSATION_RECORD=true/],
    [{ CONVERSATION_RECORD: 'sometimes' }, /CONVERSATION_RECORD must be true\/false, 1\/0, yes\/no or on\/off, got "sometimes"/],
  ])('refuses %j naming the variable', (env, rule) => {
    expect(() => configFromEnv(env)).toThrow(rule);
  });
});

describe('a turn', () => {
  test('keeps the order WeChat created its messages in: CreateTime, then MsgId (64-bit), then arrival', () => {
    const ordered = inCreationOrder([
      msg({ CreateTime: 101, MsgId: '1' }),
      msg({ CreateTime: 100, MsgId: '18446744073709551615' }),
      msg({ CreateTime: 100, MsgId: '9223372036854775808' }),
      msg({ CreateTime: 100, MsgType: 'event', Event: 'CLICK' }, 0, 'a'),
      msg({ CreateTime: 100, MsgType: 'event', Event: 'CLICK' }, 0, 'b'),
    ]);
    expect(ordered.map((m) => m.detail.message.MsgId ?? m.key)).toEqual(['9223372036854775808', '18446744073709551615', 'a', 'b', '1']);
  });

  test('is due when quiet, at max wait, at max messages, or at a flush type (up to and with it)', () => {
    const two = [msg({ MsgId: '1' }), msg({ MsgId: '2' })];
    expect(dueCheck({ turnId: 't', startedAt: 0, lastAt: 2000, messages: two }, SETTINGS, 4000)).toEqual({ due: false, checkAt: 5000 });
    expect(dueCheck({ turnId: 't', startedAt: 0, lastAt: 2000, messages: two }, SETTINGS, 5000)).toEqual({
      due: true,
      take: 2,
      why: 'quiet',
    });
    expect(dueCheck({ turnId: 't', startedAt: 0, lastAt: 14000, messages: two }, SETTINGS, 15000)).toEqual({
      due: true,
      take: 2,
      why: 'max-wait',
    });
    const four = [1, 2, 3, 4].map((n) => msg({ MsgId: String(n) }));
    expect(dueCheck({ turnId: 't', startedAt: 0, lastAt: 0, messages: four }, SETTINGS, 1)).toEqual({
      due: true,
      take: 3,
      why: 'max-messages',
    });
    const photo = [msg({ MsgId: '1' }), msg({ MsgId: '2', MsgType: 'image' }), msg({ MsgId: '3' })];
    expect(dueCheck({ turnId: 't', startedAt: 0, lastAt: 0, messages: photo }, SETTINGS, 1)).toEqual({ due: true, take: 2, why: 'flush' });
  });

  test('joins texts and voice recognitions; events of the desk are not part of it; counts an hour from its first turn', () => {
    expect(turnText([msg({ Content: 'hi' }), msg({ MsgType: 'image' }), msg({ MsgType: 'voice', Recognition: 'it broke' })])).toBe(
      'hi\nit broke',
    );
    expect(joinsTurn({ MsgType: 'event', Event: 'kf_create_session' } as InboundMessage)).toBe(false);
    expect(joinsTurn({ MsgType: 'event', Event: 'CLICK' } as InboundMessage)).toBe(true);
    expect(countTurn({ hourStart: 0, turns: 4 }, 3_599_999)).toEqual({ hourStart: 0, turns: 5 });
    expect(countTurn({ hourStart: 0, turns: 4 }, 3_600_000)).toEqual({ hourStart: 3_600_000, turns: 1 });
  });
});
