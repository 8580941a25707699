/**
 * Kf account agents: who is online, and inviting a WeChat user to bind a kf account (docs/handoff.md).
 */
import * as z from 'zod/mini';
import { limitsFor } from '../limits';
import { parseOrThrow, requiredObject, typeName } from '../validation';
import { KF_ACCOUNT_FIELD, kfAccountSchema } from './fields';
import type { Operation, OperationOptions } from './types';
import { defineCall } from './define';

/** Input of inviteworker. */
export interface InviteWorkerInput {
  kf_account: string;
  /** The WeChat ID (微信号) of the person to bind. */
  invite_wx: string;
}

/** A WeChat ID: 6-20 characters, a letter first, then letters, digits, _ or -. */
const WECHAT_ID = /^[A-Za-z][A-Za-z0-9_-]{5,19}$/;

function parseInvite(input: unknown, options: OperationOptions = {}): InviteWorkerInput {
  return parseOrThrow(
    requiredObject(
      {
        kf_account: kfAccountSchema(limitsFor(options.profile)),
        invite_wx: z
          .string({
            error: (iss) =>
              iss.input === undefined ? 'is required: the WeChat ID (微信号) to invite' : `must be a WeChat ID, got ${typeName(iss.input)}`,
          })
          .check(
            z.refine((v: string) => WECHAT_ID.test(v), {
              error: 'must be a WeChat ID (微信号): 6-20 letters, digits, _ or -, starting with a letter',
            }),
          ),
      },
      'a JSON object {kf_account, invite_wx}',
    ),
    input,
  );
}

/** The agent operations of kf accounts. */
export const KF_AGENT_OPERATIONS: readonly Operation[] = [
  defineCall<Record<string, never>>({
    name: 'listOnlineKfAccounts',
    resource: 'kfAccount',
    action: 'listOnline',
    title: 'List online kf accounts',
    description:
      'Lists the kf accounts logged in now: kf_account, status (1 web, 2 mobile, 3 both), kf_id and accepted_case (sessions open).',
    route: { method: 'GET', path: '/kf-accounts/online' },
    endpoint: { method: 'GET', path: '/cgi-bin/customservice/getonlinekflist' },
    answer: { kind: 'json', listField: 'kf_online_list' },
    fields: [],
    parse: () => ({}),
  }),
  defineCall<InviteWorkerInput>({
    name: 'inviteKfWorker',
    resource: 'kfAccount',
    action: 'invite',
    title: 'Invite a WeChat user to a kf account',
    description:
      'Invites a WeChat user (by WeChat ID) to bind a kf account; List shows invite_status (waiting, rejected, expired) until they accept.',
    route: { method: 'POST', path: '/kf-accounts/{kf_account}/invite' },
    endpoint: { method: 'POST', path: '/customservice/kfaccount/inviteworker' },
    fields: [
      KF_ACCOUNT_FIELD,
      {
        name: 'invite_wx',
        displayName: 'WeChat ID',
        type: 'string',
        required: true,
        description: 'The WeChat ID (微信号) of the person to invite',
        rules: ['6-20 letters, digits, _ or -, starting with a letter'],
      },
    ],
    parse: parseInvite,
    request: (input) => ({ json: { kf_account: input.kf_account, invite_wx: input.invite_wx } }),
  }),
];
