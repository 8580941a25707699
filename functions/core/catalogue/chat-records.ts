/**
 * Chat records (聊天记录) over any time range: the product walks WeChat's 24-hour windows and msgid cursors
 * itself (../msg-records.ts, docs/handoff.md "Chat records").
 */
import {
  boundRange,
  collectMsgRecords,
  parseMsgRecordsInput,
  RECORD_LIMIT_DEFAULT,
  RECORD_LIMIT_MAX,
  type MsgRecordsInput,
} from '../msg-records';
import { WECHAT_CALL_NEEDS } from './fields';
import type { Operation } from './types';

/** Every chat-record operation. */
export const CHAT_RECORD_OPERATIONS: readonly Operation[] = [
  {
    name: 'getChatRecords',
    resource: 'chatRecord',
    action: 'getMany',
    title: 'Get chat records',
    description:
      'Chat records between users and kf accounts over any time range (opercode 2002 sent, 2003 received): the product splits the range into 24-hour windows and pages each; more/next say where to continue when the limit stops it.',
    route: { method: 'GET', path: '/chat-records' },
    endpoint: { method: 'POST', path: '/customservice/msgrecord/getmsglist' },
    input: { kind: 'json' },
    query: ['starttime', 'endtime', 'limit', 'msgid'],
    answer: { kind: 'json', listField: 'recordlist' },
    gate: { kind: 'none' },
    fields: [
      {
        name: 'starttime',
        displayName: 'From',
        type: 'string',
        required: true,
        description: 'Start of the range, at most 365 days ago: ISO 8601 with its offset, or epoch seconds or milliseconds',
        placeholder: '2025-01-01T00:00:00Z',
      },
      {
        name: 'endtime',
        displayName: 'To',
        type: 'string',
        required: true,
        description: 'End of the range (included; a later end is read as now): ISO 8601 with its offset, or epoch seconds or milliseconds',
        placeholder: '2025-01-02T00:00:00Z',
      },
      {
        name: 'limit',
        displayName: 'Limit',
        type: 'number',
        default: RECORD_LIMIT_DEFAULT,
        description: `The most records to return (1-${RECORD_LIMIT_MAX})`,
        rules: [`1 to ${RECORD_LIMIT_MAX}`],
      },
      {
        name: 'msgid',
        displayName: 'Continue From Msgid',
        type: 'number',
        description: 'A cursor from a previous answer (next.msgid, with next.starttime as From)',
      },
    ],
    needs: WECHAT_CALL_NEEDS,
    sizing: { memoryMb: 256, timeoutSeconds: 29 },
    parse: (input) => parseMsgRecordsInput(input),
    // The range is held to what can hold records here, with the clock of the services (docs/handoff.md).
    perform: (input, services) =>
      collectMsgRecords((spec) => services.wechat.request(spec), boundRange(input, services.now())) as unknown as Promise<
        Record<string, unknown>
      >,
  } satisfies Operation<MsgRecordsInput>,
];
