/**
 * Replies: `POST /replies` answers a user's message inside WeChat's push (a passive reply) when the
 * callback is waiting for it (REPLY_MODE passive or auto), keeps it for the user's next message or sends
 * it with custom/send when it came too late (docs/passive-replies.md). The product performs it with its own
 * state (gateway mode in n8n); n8n's Direct mode (node version 2) answers the trigger's waiting push itself
 * instead (n8n-nodes/nodes/WeChatKf/transport/direct-reply.ts, "Respond With: Reply Node").
 */
import { serviceOf } from './services';
import { parseReplyInput, PASSIVE_MSGTYPES, type ReplyInput, type ReplyService } from '../passive-reply';
import { MESSAGE_TYPE_SPECS } from './messages';
import { prepareSendMedia } from './send-media';
import type { FunctionNeeds, Operation, OperationServices } from './types';

declare module './types' {
  interface OperationServices {
    /** Passive replies (`POST /replies`): the product's table; absent in n8n's direct mode. */
    replies?: ReplyService;
  }
}

/** The table (waiting pushes), WeChat (media uploads, the custom/send fallback), delivery events. */
const REPLY_NEEDS: FunctionNeeds = { secret: true, callsWeChat: true, table: 'readWrite', publishesEvents: true };

/** The largest media file a reply may carry (a video, 10 MB), as for a send. */
const REPLY_FILE_MAX_BYTES = 10 * 1024 * 1024;

function repliesOf(services: OperationServices) {
  return serviceOf(
    services,
    'replies',
    'replies need the product (its callback answers WeChat with them): use the gateway credential ' +
      '(Direct mode has no store for a push waiting for its reply: docs/passive-replies.md)',
  );
}

/** Every reply operation. */
export const REPLY_OPERATIONS: readonly Operation[] = [
  {
    name: 'sendReply',
    resource: 'message',
    action: 'reply',
    title: "Reply to a user's message",
    description:
      "Answers the user's latest message (or the one of msgId) inside WeChat's push when the callback waits for it " +
      '(REPLY_MODE passive or auto: no send window or quota used); ' +
      "later than WeChat waits, it is sent with custom/send (auto) or kept for the user's next message (passive).",
    route: { method: 'POST', path: '/replies' },
    input: { kind: 'json', files: { maxBytes: REPLY_FILE_MAX_BYTES } },
    gate: { kind: 'none' },
    direct: false,
    fields: [
      {
        name: 'openid',
        displayName: 'User OpenID',
        type: 'string',
        required: true,
        placeholder: '={{ $json.openid }}',
        description: 'The openid of the user who wrote',
      },
      {
        name: 'msgId',
        displayName: 'Message ID',
        type: 'string',
        placeholder: '={{ $json.msgId }}',
        description: "The MsgId of the message answered; empty: the user's latest message",
        rules: ['digits'],
      },
      {
        name: 'message',
        displayName: 'Message (JSON)',
        type: 'json',
        required: true,
        placeholder: '{"msgtype":"text","text":{"content":"Hi!"}}',
        description:
          'The same JSON as Send a Message, without touser: ' +
          PASSIVE_MSGTYPES.map((t) => `${t} (${MESSAGE_TYPE_SPECS[t].description.replace(/\.$/, '')})`).join('; ') +
          '. Media as media_id, {url} or {file}.',
        rules: [`msgtype one of ${PASSIVE_MSGTYPES.join(', ')}`, 'news: exactly 1 article', 'no customservice, no split'],
      },
    ],
    needs: REPLY_NEEDS,
    // A URL fetched (10 s at most) and a file of up to 10 MB uploaded before the reply, as for a send.
    sizing: { memoryMb: 512, timeoutSeconds: 30 },
    parse: (input, options) => parseReplyInput(input, options),
    // Media given as {url} / {file} become media_ids first: a passive reply names media by MediaId.
    prepare: async (input, services) => ({ ...input, message: await prepareSendMedia(input.message, services) }),
    perform: async (input, services) => repliesOf(services).post(input),
  } satisfies Operation<ReplyInput>,
];
