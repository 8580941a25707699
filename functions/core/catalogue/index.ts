/**
 * The catalogue: every operation this product offers, once, with every fact about it (see ./types.ts).
 *
 * The Lambda handlers, the CDK functions, routes, rules and IAM, the local server, the n8n node and the
 * console are all generated from {@link CATALOGUE}: adding an operation is adding one entry (a file beside
 * this one for a new resource, and one line below). docs/operations.md says how for each kind.
 *
 * @example
 * ```ts
 * import { getOperation } from './catalogue';
 * const op = getOperation('sendText');
 * const input = op.parse({ touser: 'OPENID', text: { content: 'Hello' } });
 * op.toRequest!(input); // { method: 'POST', path: '/cgi-bin/message/custom/send', json: {...} }
 * ```
 */
import { ValidationError } from '../errors';
import { DELIVERY_OPERATIONS } from './deliveries';
import { CONVERSATION_OPERATIONS } from './conversations';
import { KF_ACCOUNT_OPERATIONS } from './kf-accounts';
import { MEDIA_OPERATIONS } from './media';
import { MESSAGE_OPERATIONS, MESSAGE_TYPE_SPECS, type MessageType, type SendMessageInput } from './messages';
import type { Operation } from './types';
import { SUBSCRIPTION_OPERATIONS } from './subscriptions';
import { TYPING_OPERATIONS } from './typing';
import { KF_AGENT_OPERATIONS } from './kf-agents';
import { KF_SESSION_OPERATIONS } from './kf-sessions';
import { CHAT_RECORD_OPERATIONS } from './chat-records';
import { HANDOFF_OPERATIONS } from './handoff';
import { REPLY_OPERATIONS } from './replies';
import { WECHAT_API_OPERATIONS } from './wechat-api';
import { ACCOUNT_OPERATIONS } from './accounts';

export * from './types';
export * from './fields';
export * from './messages';
export * from './kf-accounts';
export * from './typing';
export * from './subscriptions';
export * from './deliveries';
export * from './wechat-api';
export * from './media';
export * from './run';
export { ACCOUNT_ROUTE_PREFIX, accountRouteOf, runsPerAccount, servedPerAccount } from './accounts';

/** Every operation, in the order they are presented to users. */
export const CATALOGUE: readonly Operation[] = [
  ...KF_ACCOUNT_OPERATIONS,
  ...MESSAGE_OPERATIONS,
  ...REPLY_OPERATIONS,
  ...TYPING_OPERATIONS,
  ...KF_AGENT_OPERATIONS,
  ...KF_SESSION_OPERATIONS,
  ...CHAT_RECORD_OPERATIONS,
  ...HANDOFF_OPERATIONS,
  ...SUBSCRIPTION_OPERATIONS,
  ...ACCOUNT_OPERATIONS,
  ...DELIVERY_OPERATIONS,
  ...CONVERSATION_OPERATIONS,
  ...WECHAT_API_OPERATIONS,
  ...MEDIA_OPERATIONS,
];

/**
 * An operation by name, in {@link CATALOGUE} or the catalogue given.
 *
 * @throws {ValidationError} when there is no such operation.
 * @example
 * ```ts
 * getOperation('sendTyping').route; // { method: 'POST', path: '/typing' }
 * ```
 */
export function getOperation(name: string, catalogue: readonly Operation[] = CATALOGUE): Operation {
  const op = catalogue === CATALOGUE ? BY_NAME.get(name) : catalogue.find((o) => o.name === name);
  if (!op)
    throw new ValidationError([
      { field: 'operation', rule: `must be one of ${catalogue.map((o) => o.name).join(', ')}, got ${JSON.stringify(name)}` },
    ]);
  return op;
}

const BY_NAME = new Map(CATALOGUE.map((op) => [op.name, op]));

/** The single-type send operation of a msgtype. */
export function sendOperationFor(type: MessageType): Operation<SendMessageInput> {
  return getOperation(MESSAGE_TYPE_SPECS[type].operation);
}
