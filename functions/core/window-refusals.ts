/**
 * The wording of the window gate's refusals (store/windows.ts): which rule refused a send or a Typing
 * command, with the user, the window's end and what would open it again, as the errors the API answers
 * (409 SEND_WINDOW_CLOSED, 409 NOT_ENOUGH_SENDS, 409 TYPING_NOT_ALLOWED / TYPING_ACTIVE).
 */
import { NotEnoughSendsError, SendWindowClosedError, TypingActiveError, TypingNotAllowedError } from './errors';
import type { RulesProfile } from './limits';
import { TYPING_RULES, WINDOW_RULES, type WindowState } from './window';

/**
 * The error of a send the window refuses, worded for the caller: why, since when, and what would open it.
 *
 * @example
 * ```ts
 * sendRefusalError('current', 'OPENID', state).message; // 'no send window is open for user OPENID: ...'
 * ```
 */
export function sendRefusalError(
  profile: RulesProfile,
  openid: string,
  state: WindowState,
  count = 1,
): SendWindowClosedError | NotEnoughSendsError {
  const rules = WINDOW_RULES[profile];
  const rule = state.lastInboundKind ? rules[state.lastInboundKind] : undefined;
  const end = state.windowEnd === null ? undefined : state.windowEnd;
  if (state.sendRefusal === null && state.sendsLeft !== null && state.sendsLeft < count) {
    return new NotEnoughSendsError({
      openid,
      parts: count,
      sendsLeft: state.sendsLeft,
      windowEnd: end,
      message: `the message needs ${count} parts, one send each, but the send window of user ${openid} has ${state.sendsLeft} send${state.sendsLeft === 1 ? '' : 's'} left (${rule?.source ?? 'the window rules'}); nothing was sent. Shorten the text, or send it after the user writes in again`,
    });
  }
  const reason = state.sendRefusal ?? 'quota-used';
  let message: string;
  if (reason === 'unfollowed') {
    message = `user ${openid} has unfollowed the official account; no message can be sent until they follow or write again`;
  } else if (reason === 'no-interaction' || !rule) {
    const sources = [...new Set(Object.values(rules).map((r) => r.source))].join('; ');
    message = `no send window is open for user ${openid}: no interaction from the user has been recorded (${sources})`;
  } else if (reason === 'window-expired') {
    message = `the send window of user ${openid} closed at ${iso(end)} (${rule.source}); the user must interact again`;
  } else {
    message = `the send window of user ${openid} allows ${rule.maxSends} sends (${rule.source}); all ${rule.maxSends} are used (the window ends at ${iso(end)})`;
  }
  return new SendWindowClosedError({ openid, reason, message, windowEnd: end });
}

/**
 * The error of a Typing command the rules refuse, worded for the caller.
 *
 * @example
 * ```ts
 * typingRefusalError('current', 'OPENID', state) instanceof TypingActiveError; // while one is showing
 * ```
 */
export function typingRefusalError(profile: RulesProfile, openid: string, state: WindowState): TypingNotAllowedError | TypingActiveError {
  if (state.typingRefusal === 'send-not-allowed') {
    return new TypingNotAllowedError(
      openid,
      `Typing needs the send window of user ${openid} to allow a message, as WeChat does; it does not: ${sendRefusalError(profile, openid, state).message}`,
    );
  }
  if (state.typingRefusal === 'typing-active' && state.typingUntil !== null) {
    return new TypingActiveError(
      openid,
      `a typing indicator for user ${openid} is already showing until ${iso(state.typingUntil)}; it lasts ${TYPING_RULES.durationMs / 1000} s and cannot be sent again meanwhile`,
      state.typingUntil,
    );
  }
  const last = Math.max(state.lastInboundAt ?? -Infinity, state.lastOutboundAt ?? -Infinity);
  const seen = Number.isFinite(last) ? `the last one was at ${iso(last)}` : 'none is recorded';
  return new TypingNotAllowedError(
    openid,
    `Typing needs a message exchanged with user ${openid}, either way, within the last ${TYPING_RULES.interactionWithinMs / 1000} s; ${seen}`,
  );
}

function iso(ms: number | undefined): string {
  return ms === undefined ? 'an unknown time' : new Date(ms).toISOString();
}
