/**
 * Handoff: mark a user so that the callback answers their next message with a transfer to WeChat's desk
 * (human agents), or clear the mark (../handoff.ts, docs/handoff.md). The product performs these itself:
 * no WeChat call, its own state.
 */
import { serviceOf } from './services';
import {
  HandoffNotFoundError,
  parseHandoffInput,
  HANDOFF_TTL_DEFAULT_SECONDS,
  HANDOFF_TTL_MAX_SECONDS,
  type HandoffInput,
  type HandoffService,
} from '../handoff';
import { parseOrThrow, requiredObject } from '../validation';
import { openidSchema } from './fields';
import type { FunctionNeeds, Operation, OperationServices } from './types';

declare module './types' {
  interface OperationServices {
    /** Handoff marks (the handoff operations): the product's table, or the n8n trigger's static data in Direct mode. */
    handoffs?: HandoffService;
  }
}

/** The product's own table, no WeChat call. */
const HANDOFF_NEEDS: FunctionNeeds = { secret: true, callsWeChat: false, table: 'readWrite', publishesEvents: false };

function handoffsOf(services: OperationServices) {
  return serviceOf(
    services,
    'handoffs',
    'handoff needs the product (its callback answers the transfer): use the gateway credential, or the trigger in this workflow',
  );
}

/** Every handoff operation. */
export const HANDOFF_OPERATIONS: readonly Operation[] = [
  {
    name: 'handOff',
    resource: 'handoff',
    action: 'handOff',
    title: 'Hand a user to a human agent',
    description:
      "Marks the user: their next message is answered with a transfer to WeChat's customer-service desk (to the kf account given, else any agent). The mark lasts ttl seconds (default 1800) or until an agent takes the user.",
    route: { method: 'POST', path: '/handoff' },
    input: { kind: 'json' },
    gate: { kind: 'none' },
    acceptsEvents: true,
    fields: [
      { name: 'openid', displayName: 'User OpenID', type: 'string', required: true, description: 'The openid of the user to hand over' },
      {
        name: 'kf_account',
        displayName: 'Kf Account',
        type: 'string',
        description: 'Optional: the kf account to hand the user to (prefix@wechatid); empty: any agent',
      },
      {
        name: 'ttl',
        displayName: 'Mark Lasts (Seconds)',
        type: 'number',
        default: HANDOFF_TTL_DEFAULT_SECONDS,
        description: "How long the mark waits for the user's next message",
        rules: [`1 to ${HANDOFF_TTL_MAX_SECONDS}`],
      },
    ],
    needs: HANDOFF_NEEDS,
    parse: (input) => parseHandoffInput(input),
    perform: async (input, services) => {
      const { until, humanSession } = await handoffsOf(services).mark(input.openid, {
        kfAccount: input.kf_account,
        ttlMs: input.ttl * 1000,
      });
      return { openid: input.openid, kf_account: input.kf_account ?? null, until: new Date(until).toISOString(), humanSession };
    },
  } satisfies Operation<HandoffInput>,
  {
    name: 'clearHandoff',
    resource: 'handoff',
    action: 'clear',
    title: 'Clear a handoff mark',
    description: "Removes the mark: the user's next message reaches the bot again. Answers whether a mark was in force.",
    route: { method: 'DELETE', path: '/handoff/{openid}' },
    input: { kind: 'json' },
    gate: { kind: 'none' },
    fields: [{ name: 'openid', displayName: 'User OpenID', type: 'string', required: true, description: 'The openid of the marked user' }],
    needs: HANDOFF_NEEDS,
    parse: (input) => parseOrThrow(requiredObject({ openid: openidSchema() }, 'an object {openid}'), input),
    perform: async (input, services) => ({ openid: input.openid, cleared: await handoffsOf(services).clear(input.openid) }),
  } satisfies Operation<{ openid: string }>,
  {
    name: 'getHandoff',
    resource: 'handoff',
    action: 'get',
    title: 'Get a pending handoff',
    description:
      "The user's handoff mark while it is in force (set by POST /handoff or a handoff keyword): kf_account, markedAt, until, " +
      'and the human session; 404 HANDOFF_NOT_FOUND when none is.',
    route: { method: 'GET', path: '/handoff/{openid}' },
    input: { kind: 'json' },
    gate: { kind: 'none' },
    fields: [{ name: 'openid', displayName: 'User OpenID', type: 'string', required: true, description: 'The openid of the user' }],
    needs: { ...HANDOFF_NEEDS, table: 'read' },
    parse: (input) => parseOrThrow(requiredObject({ openid: openidSchema() }, 'an object {openid}'), input),
    perform: async (input, services) => {
      const { mark, humanSession } = await handoffsOf(services).read(input.openid);
      if (!mark) throw new HandoffNotFoundError(input.openid);
      return {
        openid: input.openid,
        kf_account: mark.kf_account ?? null,
        markedAt: new Date(mark.markedAt).toISOString(),
        until: new Date(mark.until).toISOString(),
        humanSession,
      };
    },
  } satisfies Operation<{ openid: string }>,
];
