/**
 * windowState, the pure rule every gate and GET /interactions reads: given what the table holds about a
 * user and the time, what may be sent now. Integration tests (test/store/windows.test.ts) run it behind
 * DynamoDB; these pin each rule on its own.
 */
import { TYPING_RULES, WINDOW_RULES, windowState, type WindowRecord } from '../../functions/core/window';

const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
const HOUR = 3_600_000;
const message = WINDOW_RULES.current.message;
const event = WINDOW_RULES.current.event;

describe('windowState', () => {
  it('no interaction: nothing may be sent, and there is no window', () => {
    // Prepare
    const record: WindowRecord | undefined = undefined;
    // Act
    const state = windowState(record, T0);
    // Assess
    expect(state).toMatchObject({ canSend: false, sendRefusal: 'no-interaction', windowEnd: null, sendsLeft: null, canType: false });
  });

  it('a message opens a window with its count; each counted send takes one', () => {
    const fresh = windowState({ lastInboundAt: T0, lastInboundKind: 'message' }, T0 + HOUR);
    const twoUsed = windowState({ lastInboundAt: T0, lastInboundKind: 'message', sendsUsed: 2 }, T0 + HOUR);
    expect(fresh).toMatchObject({ canSend: true, sendRefusal: null, windowEnd: T0 + message.durationMs, sendsLeft: message.maxSends });
    expect(twoUsed.sendsLeft).toBe(message.maxSends! - 2);
  });

  it('the count used up refuses with quota-used; never a negative count', () => {
    const state = windowState({ lastInboundAt: T0, lastInboundKind: 'message', sendsUsed: message.maxSends! + 3 }, T0 + 1);
    expect(state).toMatchObject({ canSend: false, sendRefusal: 'quota-used', sendsLeft: 0 });
  });

  it('the window ends exactly at its end (the end itself is outside)', () => {
    const record: WindowRecord = { lastInboundAt: T0, lastInboundKind: 'message' };
    expect(windowState(record, T0 + message.durationMs - 1).canSend).toBe(true);
    expect(windowState(record, T0 + message.durationMs)).toMatchObject({ canSend: false, sendRefusal: 'window-expired' });
  });

  it('an event (menu click, follow, scan) opens the shorter window of its own rule', () => {
    const state = windowState({ lastInboundAt: T0, lastInboundKind: 'event' }, T0);
    expect(state).toMatchObject({ windowEnd: T0 + event.durationMs, sendsLeft: event.maxSends });
  });

  it('the seed profile: 48 h and no count', () => {
    const state = windowState({ lastInboundAt: T0, lastInboundKind: 'message', sendsUsed: 50 }, T0 + 47 * HOUR, 'seed');
    expect(state).toMatchObject({ canSend: true, sendsLeft: null, windowEnd: T0 + WINDOW_RULES.seed.message.durationMs });
  });

  it('an unfollow after the last interaction closes everything; an interaction after it reopens', () => {
    const closed = windowState({ lastInboundAt: T0, lastInboundKind: 'message', unfollowedAt: T0 + 1 }, T0 + 2);
    const reopened = windowState({ lastInboundAt: T0 + 3, lastInboundKind: 'message', unfollowedAt: T0 + 1 }, T0 + 4);
    expect(closed).toMatchObject({ canSend: false, sendRefusal: 'unfollowed', canType: false, windowEnd: null });
    expect(reopened.canSend).toBe(true);
  });

  describe('typing', () => {
    it('needs a message exchanged either way within its interval', () => {
      const within = windowState({ lastInboundAt: T0, lastInboundKind: 'message' }, T0 + TYPING_RULES.interactionWithinMs);
      const late = windowState({ lastInboundAt: T0, lastInboundKind: 'message' }, T0 + TYPING_RULES.interactionWithinMs + 1);
      const afterOurSend = windowState({ lastInboundAt: T0, lastInboundKind: 'message', lastOutboundAt: T0 + HOUR }, T0 + HOUR + 1);
      expect(within).toMatchObject({ canType: true, typingRefusal: null });
      expect(late).toMatchObject({ canType: false, typingRefusal: 'no-recent-interaction' });
      expect(afterOurSend.canType).toBe(true);
    });

    it('is refused while a typing indicator is still showing, and allowed once it ends', () => {
      const record: WindowRecord = { lastInboundAt: T0, lastInboundKind: 'message', typingUntil: T0 + 5_000 };
      expect(windowState(record, T0 + 4_999)).toMatchObject({
        canType: false,
        typingActive: true,
        typingRefusal: 'typing-active',
        typingUntil: T0 + 5_000,
      });
      expect(windowState(record, T0 + 5_000)).toMatchObject({ canType: true, typingActive: false, typingUntil: null });
    });

    it('is refused when no message could be sent, even right after an exchange', () => {
      const state = windowState(
        { lastInboundAt: T0, lastInboundKind: 'message', sendsUsed: message.maxSends!, lastOutboundAt: T0 + 1 },
        T0 + 2,
      );
      expect(state).toMatchObject({ canSend: false, canType: false, typingRefusal: 'send-not-allowed' });
    });
  });
});
