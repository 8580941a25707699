/**
 * The rule for what a failed send gives back to the user's window. The gate counted the sends before
 * WeChat was called (one conditional write for every part); when the send then fails, each counted send
 * goes back unless its message may be on the user's phone:
 *
 * | how it failed | the failed call | given back |
 * | --- | --- | --- |
 * | before any WeChat call (no token, the secret could not be read, a part could not be built) | none | all |
 * | WeChat refused it with an errcode (45015, 45047, 40001 after the refresh...) | did not reach the user | all |
 * | WeChat unreachable (refused connection, DNS) | never written | all |
 * | timeout, reset, hang-up after the request was written | may have reached WeChat | all but that one |
 * | part k of a split text failed | as above for part k | all but the parts sent before k (and k, if it may have reached WeChat) |
 * | part k went out but its progress could not be recorded | none | all but parts 1..k |
 *
 * It is a count, not a yes/no, because a split text reserves one send per part in one write.
 *
 * @example
 * ```ts
 * sendsToGiveBack({ reserved: 3, from: 0, error: new PartialSendError(refusal, { parts: 3, partsSent: 1 }), failedCall: { mayHaveReachedWeChat: false } }); // 2
 * ```
 */
import type { SendTrace } from '../catalogue';
import { PartialSendError } from '../errors';

/** What a send knew when it failed. */
export interface FailedSend {
  /** The sends the gate counted for this run: the parts still to send (all of them, unless a retry resumed). */
  reserved: number;
  /** Parts an earlier run under the same idempotency key had sent (where this run started). */
  from: number;
  /** What the send threw: a {@link PartialSendError} for a split text, the call's own error otherwise. */
  error: unknown;
  /** The trace of the WeChat call that failed, when the failure was a WeChat call's; absent when none was made or none failed. */
  failedCall?: SendTrace;
}

/**
 * How many of the counted sends go back to the window (0 to `reserved`); see the module comment.
 *
 * @example
 * ```ts
 * sendsToGiveBack({ reserved: 1, from: 0, error: timeout, failedCall: { mayHaveReachedWeChat: true } }); // 0
 * ```
 */
export function sendsToGiveBack(failure: FailedSend): number {
  // Parts of this run that went out (a split text reports them; a single send that failed sent none).
  const sentNow = failure.error instanceof PartialSendError ? Math.max(0, failure.error.partsSent - failure.from) : 0;
  const used = sentNow + (failure.failedCall?.mayHaveReachedWeChat ? 1 : 0);
  return Math.min(failure.reserved, Math.max(0, failure.reserved - used));
}
