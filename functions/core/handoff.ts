/**
 * Handing a user to a human agent from the callback (docs/handoff.md): the input of `POST /handoff` (the
 * passive reply that does it is in handoff-reply.ts, apart, so that the catalogue, which needs only the
 * input, does not carry the callback's XML and crypto into every function: docs/bundles.md). WeChat routes a user to its customer-service desk when the answer to
 * their push is a `transfer_customer_service` reply, optionally naming the kf account
 * (`<TransInfo><KfAccount>…</KfAccount></TransInfo>`), in the push's format, and encrypted when the push
 * was (docs/wechat-reference.md, "Passive replies and handing a user to a human"). No API call can do
 * this: only the answer to the user's own push.
 *
 * @example
 * ```ts
 * const input = parseHandoffInput({ openid: 'OPENID', kf_account: 'kf1@wx', ttl: 600 });
 * ```
 */
import * as z from 'zod/mini';
import type { HumanSessionView } from './inbound/handoff-state';
import { WeChatKfError } from './errors';
import { limitsFor } from './limits';
import { parseOrThrow, requiredObject, requiredString, typeName } from './validation';

/** The default life of a mark, in seconds: WeChat's own idle limit of a session. */
export const HANDOFF_TTL_DEFAULT_SECONDS = 1800;
/** The longest a mark may live, in seconds. */
export const HANDOFF_TTL_MAX_SECONDS = 86_400;

/** The input of `POST /handoff`. */
export interface HandoffInput {
  openid: string;
  /** The kf account to transfer to; absent: whichever agent takes the user. */
  kf_account?: string;
  /** Seconds the mark lasts. */
  ttl: number;
}

/**
 * Checks a handoff input: `openid`, an optional `kf_account` (prefix@wechatid), `ttl` in seconds
 * (1 to 86 400, default 1800).
 *
 * @throws {ValidationError} naming the field and the rule.
 */
export function parseHandoffInput(input: unknown): HandoffInput {
  const limits = limitsFor('current');
  const parsed = parseOrThrow(
    requiredObject(
      {
        openid: requiredString('an openid').check(
          z.regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'must be an openid: letters, digits, _ and -' }),
        ),
        kf_account: z.optional(
          requiredString('a kf account').check(
            z.maxLength(limits.kfAccountLength.max, { error: `must have at most ${limits.kfAccountLength.max} characters` }),
            z.regex(/^[A-Za-z0-9_]{1,10}@[^@\s]+$/, { error: 'must be prefix@wechatid, e.g. kf1@mywechatid' }),
          ),
        ),
        ttl: z.optional(
          z
            .number({ error: (iss) => `must be a number of seconds, got ${typeName(iss.input)}` })
            .check(
              z.int({ error: 'must be whole seconds' }),
              z.gte(1, { error: 'must be at least 1 second' }),
              z.lte(HANDOFF_TTL_MAX_SECONDS, { error: `must be at most ${HANDOFF_TTL_MAX_SECONDS} seconds (a day)` }),
            ),
        ),
      },
      'a JSON object {openid, kf_account?, ttl?}',
    ),
    input,
  );
  return {
    openid: parsed.openid,
    ...(parsed.kf_account ? { kf_account: parsed.kf_account } : {}),
    ttl: parsed.ttl ?? HANDOFF_TTL_DEFAULT_SECONDS,
  };
}

/** A human session as the product reports it: `since` in ISO 8601 (the one handoff rule: ./inbound/handoff-state.ts). */
export type { HumanSessionView };

/**
 * Where marks are kept: the product's table (functions/store/handoff.ts, through the handlers), or in n8n's
 * direct mode the trigger's memory. Operations that mark users check it is there.
 */
export interface HandoffService {
  /** Marks the user for `ttlMs`; answers the mark's end (ms) and the user's human session. */
  mark(openid: string, options: { kfAccount?: string; ttlMs: number }): Promise<{ until: number; humanSession: HumanSessionView | null }>;
  /** Clears the mark; answers whether one was in force. */
  clear(openid: string): Promise<boolean>;
  /** The user's mark while in force (`until`, `markedAt` in ms, the kf account), and human session. */
  read(openid: string): Promise<{ mark?: { kf_account?: string; markedAt: number; until: number }; humanSession: HumanSessionView | null }>;
}

/**
 * No mark is in force for the user: `GET /handoff/{openid}` answers 404.
 *
 * @example
 * ```ts
 * throw new HandoffNotFoundError('OPENID'); // 404 HANDOFF_NOT_FOUND
 * ```
 */
export class HandoffNotFoundError extends WeChatKfError {
  constructor(openid: string) {
    const why = `no handoff mark is in force for ${JSON.stringify(openid)}: POST /handoff sets one, a keyword (HANDOFF_KEYWORDS) too`;
    super('HANDOFF_NOT_FOUND', 404, why);
  }
}
