/**
 * The typing indicator (客服输入状态): show or hide "typing…" to a user.
 */
import * as z from 'zod/mini';
import { parseOrThrow, requiredObject } from '../validation';
import { openidSchema, TOUSER_FIELD } from './fields';
import type { Operation } from './types';
import { defineCall } from './define';

/** Input of the typing indicator. */
export interface TypingInput {
  touser: string;
  command: 'Typing' | 'CancelTyping';
}

/** Every typing operation. */
export const TYPING_OPERATIONS: readonly Operation[] = [
  defineCall<TypingInput>({
    name: 'sendTyping',
    resource: 'typing',
    action: 'set',
    title: 'Show or cancel typing',
    description:
      'Shows "typing…" to the user (Typing) or hides it (CancelTyping). Needs a message exchanged with the user in the last 30 s; lasts 15 s.',
    route: { method: 'POST', path: '/typing' },
    endpoint: { method: 'POST', path: '/cgi-bin/message/custom/typing' },
    gate: { kind: 'typing', recipient: (input) => input.touser, command: (input) => input.command },
    fields: [
      TOUSER_FIELD,
      {
        name: 'command',
        displayName: 'Command',
        type: 'enum',
        required: true,
        default: 'Typing',
        enum: [
          {
            value: 'Typing',
            name: 'Start Typing',
            description: 'Shows "typing…" for 15 s; needs a message exchanged with the user in the last 30 s',
          },
          { value: 'CancelTyping', name: 'Cancel Typing', description: 'Hides the "typing…" indicator' },
        ],
      },
    ],
    parse: (input) =>
      parseOrThrow(
        requiredObject(
          {
            touser: openidSchema(),
            command: z.enum(['Typing', 'CancelTyping'], {
              error: (iss) =>
                iss.input === undefined
                  ? 'is required: Typing or CancelTyping'
                  : `must be Typing or CancelTyping, got ${JSON.stringify(iss.input)}`,
            }),
          },
          'a JSON object {touser, command}',
        ),
        input,
      ) as TypingInput,
    request: (input) => ({ json: { touser: input.touser, command: input.command } }),
  }),
];
