/**
 * Interactions received by some other system (a chat widget, a CRM, another WeChat callback receiver)
 * and the window state of a user:
 * - `POST /interactions` `{openid, at?, kind?}` records that the user did something that opens a window
 *   (`kind`: `message`, the default, or `event` for a menu click, follow or QR scan; `at`: ISO 8601, or
 *   epoch seconds or milliseconds, never later than now, default now);
 * - `GET /interactions/{openid}` answers the window state: last interaction, send window end, sends
 *   left, can send, can type, and `humanSession` ({kf_account, since} while an agent has the user, else null).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { ValidationError } from '../core/errors';
import { openidIssue, openidSchema } from '../core/fields';
import { parseTime, TIME_FORMS } from '../core/times';
import { parseOrThrow, typeName } from '../core/validation';
import type { WindowState } from '../core/window';
import type { AppContext } from '../context/context';
import { humanSessionView } from '../context/handoff-service';
import { parseAppId } from '../core/accounts';
import { checkJsonContentType, httpRequestOf, parseJsonBody, toGatewayResult } from '../http/events';
import { jsonAnswer } from '../http/http';
import { httpErrorAnswer, withObservability } from '../http/middleware';

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
    openid: openidSchema(),
    at: z.optional(
      z.union([z.number(), z.string()], {
        error: (iss) => `must be an ISO 8601 time or epoch seconds or milliseconds, got ${typeName(iss.input)}`,
      }),
    ),
    kind: z.optional(z.enum(['message', 'event'], { error: (iss) => `must be message or event, got ${JSON.stringify(iss.input)}` })),
  },
  { error: (iss) => `must be a JSON object {openid, at?, kind?}, got ${typeName(iss.input)}` },
);

/** The earliest `at` accepted: WeChat's customer-service API did not exist before 2013. */
const EARLIEST_AT = Date.UTC(2013, 0, 1);
/** How far in the future `at` may be (clock skew between this server and the caller). */
const AT_FUTURE_SLACK_MS = 5 * 60_000;

/**
 * Parses `at`: the one time reader (core/times.ts: an ISO 8601 time with its offset, epoch seconds or
 * milliseconds by size; WeChat's CreateTime is in seconds). A time before 2013 or more than 5 minutes
 * ahead is refused, not clamped: it is a unit mix-up (`"1"`, `1e308`), and recording it would open (or
 * fail to open) a window nobody asked for.
 */
function parseAt(at: number | string | undefined, now: number): number {
  if (at === undefined) return now;
  const time = parseTime(at);
  const fail = (why: string) => new ValidationError([{ field: 'at', rule: `must be ${TIME_FORMS}${why}, got ${JSON.stringify(at)}` }]);
  if (time.issue !== undefined) throw new ValidationError([{ field: 'at', rule: time.issue }]);
  const ms = time.ms;
  if (ms < EARLIEST_AT) throw fail(', not before 2013');
  if (ms > now + AT_FUTURE_SLACK_MS) throw fail(', not in the future');
  return Math.min(ms, now);
}

/** What the interactions handler uses of a handler context; a full {@link AppContext} will do. */
export type InteractionsContext = Pick<AppContext, 'config' | 'windows' | 'handoffs' | 'now' | 'logger' | 'metrics'> & {
  /** The deployment's accounts: `/accounts/{appId}/interactions…` records and reads that account's users (docs/accounts.md). */
  accounts: { contextOf(appId: string | undefined): Promise<InteractionsContext> };
};

/**
 * The handler of `POST /interactions` and `GET /interactions/{openid}`.
 *
 * @example
 * ```ts
 * export const handler = createInteractionsHandler(lambdaInteractionsContext());
 * ```
 */
export function createInteractionsHandler(getContext: () => Promise<InteractionsContext>) {
  return withObservability({ name: 'interactions', context: getContext, onError: httpErrorAnswer }, async (event: unknown, deployment) => {
    const request = httpRequestOf(event);
    const appId = request.pathParameters.appId;
    const ctx = await deployment.accounts.contextOf(appId === undefined ? undefined : parseAppId(appId));
    if (request.method === 'GET') {
      const openid = request.pathParameters.openid;
      if (!openid) throw new ValidationError([{ field: 'openid', rule: 'is required in the path: /interactions/{openid}' }]);
      const issue = openidIssue(openid);
      if (issue) throw new ValidationError([{ field: 'openid', rule: issue }]);
      const [state, handoff] = await Promise.all([ctx.windows.state(openid), ctx.handoffs.read(openid)]);
      const handoffFacts = { humanSession: humanSessionView(handoff.humanSession), handoffPending: handoff.mark !== undefined };
      return toGatewayResult(jsonAnswer(200, { ...windowStateBody(openid, state, ctx.config.windowPolicy), ...handoffFacts }));
    }
    checkJsonContentType(request.headers['content-type']);
    const body = parseOrThrow(recordSchema, parseJsonBody(request.body));
    const at = parseAt(body.at, ctx.now());
    const state = await ctx.windows.recordInbound(body.openid, body.kind ?? 'message', at);
    ctx.metrics.addMetric('InteractionsRecorded', MetricUnit.Count, 1);
    return toGatewayResult(jsonAnswer(200, windowStateBody(body.openid, state, ctx.config.windowPolicy)));
  });
}
