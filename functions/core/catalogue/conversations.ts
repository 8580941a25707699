/**
 * Conversations: each user's history of messages and sends (docs/conversations.md), for an AI agent's
 * memory. The product performs this operation itself, from its own table: no WeChat call, gateway mode
 * only in n8n.
 */
import { serviceOf } from './services';
import { parseConversationQuery, type ConversationQuery } from '../conversations';
import type { Operation, OperationResult, OperationServices } from './types';

declare module './types' {
  interface OperationServices {
    /** Each user's conversation history (getConversation; docs/conversations.md). Absent in n8n's direct mode. */
    conversations?: { get(query: ConversationQuery): Promise<Record<string, unknown>> };
  }
}

/** Every conversation operation. */
export const CONVERSATION_OPERATIONS: readonly Operation[] = [
  {
    name: 'getConversation',
    resource: 'conversation',
    action: 'get',
    title: "Get a user's conversation",
    description:
      "The latest entries of a user's conversation (30 days, with CONVERSATION_RECORD=true), oldest first: role user, " +
      'assistant (sent by the product) or agent (a human at the kf desk), type, text (or a description of what is not text) and time.',
    route: { method: 'GET', path: '/conversations/{openid}' },
    input: { kind: 'json' },
    query: ['limit', 'before'],
    answer: { kind: 'json', listField: 'entries' },
    gate: { kind: 'none' },
    acceptsEvents: false,
    direct: false,
    fields: [
      { name: 'openid', displayName: 'User OpenID', type: 'string', required: true, description: 'The openid of the user' },
      {
        name: 'limit',
        displayName: 'Limit',
        type: 'number',
        default: 50,
        description: 'At most this many entries, the latest (1-500)',
        rules: ['1 to 500'],
      },
      {
        name: 'before',
        displayName: 'Before',
        type: 'string',
        placeholder: '2026-12-01T08:00:00Z',
        description: 'Entries before this time (ISO 8601 or epoch ms): the before of the previous answer pages back',
      },
    ],
    needs: { secret: true, callsWeChat: false, table: 'read', publishesEvents: false },
    parse: (input) => parseConversationQuery(input),
    perform: async (input: ConversationQuery, services: OperationServices) => {
      const conversations = serviceOf(
        services,
        'conversations',
        'getConversation needs the conversation store: it runs in the product (the gateway credential), not in n8n direct mode',
      );
      return (await conversations.get(input)) as OperationResult;
    },
  } satisfies Operation<ConversationQuery>,
];
