/**
 * The give-back rule on its own (functions/core/runner/give-back.ts): a counted send goes back on any failure
 * before WeChat was called and on WeChat's refusals, never after the request may have reached WeChat.
 * The send path's integration tests (send-path.test.ts, test/store/send-reservation.test.ts) show the
 * same rule on dynalite and the sandbox; this table pins every case of the rule itself.
 */
import {
  ConfigurationError,
  PartialSendError,
  WeChatApiError,
  WeChatTimeoutError,
  WeChatUnavailableError,
} from '../../functions/core/errors';
import { TransportError } from '../../functions/core/transport';
import { sendsToGiveBack, type FailedSend } from '../../functions/core/runner/give-back';

const refused = new WeChatApiError(45047, 'out of response count limit');
const timedOut = new WeChatTimeoutError('no answer from WeChat within 10000 ms');
const unreachable = new WeChatUnavailableError('could not reach https://api.weixin.qq.com (ECONNREFUSED)');
const reached = { mayHaveReachedWeChat: true };
const notReached = { mayHaveReachedWeChat: false };

const cases: Array<[string, FailedSend, number]> = [
  // Before any WeChat call: nothing can be on the user's phone.
  ['no token (the secret could not be read), one send', { reserved: 1, from: 0, error: new ConfigurationError('SECRET_ID is not set') }, 1],
  [
    'a failure before the first part of a 3-part text',
    { reserved: 3, from: 0, error: new PartialSendError(new ConfigurationError('no token'), { parts: 3, partsSent: 0 }) },
    3,
  ],
  // WeChat answered with an errcode: it refused, the user has nothing.
  ['WeChat refuses a single send (45047)', { reserved: 1, from: 0, error: refused, failedCall: notReached }, 1],
  ['WeChat unreachable: the request was never written', { reserved: 1, from: 0, error: unreachable, failedCall: notReached }, 1],
  [
    'WeChat refuses part 2 of 3',
    { reserved: 3, from: 0, error: new PartialSendError(refused, { parts: 3, partsSent: 1 }), failedCall: notReached },
    2,
  ],
  // The request may have reached WeChat: the send is kept.
  ['a single send times out', { reserved: 1, from: 0, error: timedOut, failedCall: reached }, 0],
  [
    'the connection is reset after the request was written',
    { reserved: 1, from: 0, error: new TransportError('network', 'socket hang up'), failedCall: reached },
    0,
  ],
  [
    'part 2 of 3 times out: parts 1 and 2 are kept, part 3 never tried',
    { reserved: 3, from: 0, error: new PartialSendError(timedOut, { parts: 3, partsSent: 1 }), failedCall: reached },
    1,
  ],
  [
    'the last part times out',
    { reserved: 3, from: 0, error: new PartialSendError(timedOut, { parts: 3, partsSent: 2 }), failedCall: reached },
    0,
  ],
  // A part went out but its progress could not be recorded: no call failed, the parts sent are kept.
  [
    'part 1 of 3 went out, its progress write failed',
    { reserved: 3, from: 0, error: new PartialSendError(new Error('ProvisionedThroughputExceeded'), { parts: 3, partsSent: 1 }) },
    2,
  ],
  // A retry under the same key resumed after 2 parts: only this run's reservation counts.
  [
    'a resumed retry (parts 3-5 reserved) refused at part 4',
    { reserved: 3, from: 2, error: new PartialSendError(refused, { parts: 5, partsSent: 3 }), failedCall: notReached },
    2,
  ],
  [
    'a resumed retry times out at part 5',
    { reserved: 3, from: 2, error: new PartialSendError(timedOut, { parts: 5, partsSent: 4 }), failedCall: reached },
    0,
  ],
];

describe('sendsToGiveBack: what a failed send gives back to the window', () => {
  it.each(cases)('%s', (_case, failure, expected) => {
    // prepare: the failure as the send path saw it (above)
    // act
    const given = sendsToGiveBack(failure);
    // assess
    expect(given).toBe(expected);
  });

  it('never gives back more than was counted, nor less than nothing', () => {
    // prepare: every split of 1-5 reserved parts, every part failing either way
    const seen: number[] = [];
    for (let reserved = 1; reserved <= 5; reserved++) {
      for (let sent = 0; sent < reserved; sent++) {
        for (const failedCall of [reached, notReached, undefined]) {
          // act
          seen.push(
            sendsToGiveBack({ reserved, from: 0, error: new PartialSendError(refused, { parts: reserved, partsSent: sent }), failedCall }),
          );
          // assess
          expect(seen.at(-1)).toBe(reserved - sent - (failedCall?.mayHaveReachedWeChat ? 1 : 0));
        }
      }
    }
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
  });
});
