/**
 * Interactions received by some other system (a chat widget, a CRM, another WeChat callback receiver)
 * and the window state of a user:
 * - `POST /interactions` `{openid, at?, kind?}` records that the user did something that opens a window
 *   (`kind`: `message`, the default, or `event` for a menu click, follow or QR scan; `at`: ISO 8601, or
 *   epoch seconds or milliseconds, never later than now, default now);
 * - `GET /interactions/{openid}` answers the window state: last interaction, send window end, sends
 *   left, can send, can type.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { parseOrThrow, requiredString, typeName } from '../core/validation';
import type { WindowState } from '../core/window';
import type { AppContext } from './context';
import { httpRequestOf, parseJsonBody, toGatewayResult } from './events';
import { errorAnswer, jsonAnswer } from './http';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The window state as the API answers it. */
export function windowStateBody(openid: string, state: WindowState, policy: string) {
  return {
    openid,
    policy,
    lastInteractionAt: iso(state.lastInboundAt),
    lastInteractionKind: state.lastInboundKind,
    lastSentAt: iso(state.lastOutboundAt),
    sendWindowEnd: iso(state.windowEnd),
    sendsLeft: state.sendsLeft,
    canSend: state.canSend,
    sendRefusal: state.sendRefusal,
    canType: state.canType,
    typingUntil: iso(state.typingUntil),
  };
}

const recordSchema = z.looseObject(
  {
    openid: requiredString('an openid'),
    at: z
      .union([z.number(), z.string()], { error: (iss) => `must be an ISO 8601 time or epoch seconds or milliseconds, got ${typeName(iss.input)}` })
      .optional(),
    kind: z.enum(['message', 'event'], { error: (iss) => `must be message or event, got ${JSON.stringify(iss.input)}` }).optional(),
  },
  { error: (iss) => `must be a JSON object {openid, at?, kind?}, got ${typeName(iss.input)}` },
);

/**
 * Parses `at`: an ISO time, epoch milliseconds, or epoch seconds (WeChat's CreateTime is in seconds; a
 * number below 10^12 would be a millisecond time before 2001, so it can only mean seconds). Later than now
 * is clamped to now by the store.
 */
function parseAt(at: number | string | undefined, now: number): number {
  if (at === undefined) return now;
  const ms = typeof at === 'number' ? (at < 1e12 ? at * 1000 : at) : Date.parse(at);
  if (!Number.isFinite(ms) || ms <= 0) throw new ValidationError([{ field: 'at', rule: `must be an ISO 8601 time or epoch seconds or milliseconds, got ${JSON.stringify(at)}` }]);
  return ms;
}

/**
 * The handler of `POST /interactions` and `GET /interactions/{openid}`.
 *
 * @example
 * ```ts
 * export const handler = createInteractionsHandler(lambdaContext());
 * ```
 */
export function createInteractionsHandler(getContext: () => Promise<AppContext>) {
  return async function handler(event: unknown): Promise<unknown> {
    const request = httpRequestOf(event);
    try {
      const ctx = await getContext();
      if (request.method === 'GET') {
        const openid = request.pathParameters.openid;
        if (!openid) throw new ValidationError([{ field: 'openid', rule: 'is required in the path: /interactions/{openid}' }]);
        const state = await ctx.windows.state(openid);
        return toGatewayResult(jsonAnswer(200, windowStateBody(openid, state, ctx.config.windowPolicy)));
      }
      const body = parseOrThrow(recordSchema, parseJsonBody(request.body));
      const at = parseAt(body.at, ctx.now());
      const state = await ctx.windows.recordInbound(body.openid, body.kind ?? 'message', at);
      return toGatewayResult(jsonAnswer(200, windowStateBody(body.openid, state, ctx.config.windowPolicy)));
    } catch (error) {
      return toGatewayResult(errorAnswer(error));
    }
  };
}
