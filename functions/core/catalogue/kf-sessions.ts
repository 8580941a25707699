/**
 * Kf sessions (客服会话): create and close a session between a user and a kf account, a user's session, a
 * kf account's sessions, and the users waiting for an agent (docs/handoff.md).
 */
import { limitsFor } from '../limits';
import { parseOrThrow, requiredObject } from '../validation';
import { KF_ACCOUNT_FIELD, kfAccountSchema, openidSchema } from './fields';
import type { FieldSpec, Operation, OperationOptions } from './types';
import { defineCall } from './define';

/** Input of create and close. */
export interface KfSessionInput {
  kf_account: string;
  openid: string;
}

const OPENID_FIELD: FieldSpec = {
  name: 'openid',
  displayName: 'User OpenID',
  type: 'string',
  required: true,
  description: 'The openid of the user',
};

const parseSession = (input: unknown, options: OperationOptions = {}): KfSessionInput =>
  parseOrThrow(
    requiredObject(
      { kf_account: kfAccountSchema(limitsFor(options.profile)), openid: openidSchema() },
      'a JSON object {kf_account, openid}',
    ),
    input,
  );

const parseOpenid = (input: unknown): { openid: string } =>
  parseOrThrow(requiredObject({ openid: openidSchema() }, 'an object {openid}'), input);

const parseKfAccount = (input: unknown, options: OperationOptions = {}): { kf_account: string } =>
  parseOrThrow(requiredObject({ kf_account: kfAccountSchema(limitsFor(options.profile)) }, 'an object {kf_account}'), input);

/** Every kf session operation. */
export const KF_SESSION_OPERATIONS: readonly Operation[] = [
  defineCall<KfSessionInput>({
    name: 'createKfSession',
    resource: 'kfSession',
    action: 'create',
    title: 'Create a kf session',
    description:
      'Puts a user in a session with a kf account. The user must have written in the last 48 hours and the kf account be online (65413, 65415 otherwise).',
    route: { method: 'POST', path: '/kf-sessions' },
    endpoint: { method: 'POST', path: '/customservice/kfsession/create' },
    fields: [KF_ACCOUNT_FIELD, OPENID_FIELD],
    parse: parseSession,
    request: (input) => ({ json: { kf_account: input.kf_account, openid: input.openid } }),
  }),
  defineCall<KfSessionInput>({
    name: 'closeKfSession',
    resource: 'kfSession',
    action: 'close',
    title: 'Close a kf session',
    description: "Ends a user's session with a kf account; the bot has the user again.",
    route: { method: 'POST', path: '/kf-sessions/{openid}/close' },
    endpoint: { method: 'POST', path: '/customservice/kfsession/close' },
    fields: [OPENID_FIELD, KF_ACCOUNT_FIELD],
    parse: parseSession,
    request: (input) => ({ json: { kf_account: input.kf_account, openid: input.openid } }),
  }),
  defineCall<{ openid: string }>({
    name: 'getKfSession',
    resource: 'kfSession',
    action: 'get',
    title: "Get a user's kf session",
    description: 'The kf account a user is in a session with, and since when (createtime); 65413 when the user has none.',
    route: { method: 'GET', path: '/kf-sessions/{openid}' },
    endpoint: { method: 'GET', path: '/customservice/kfsession/getsession' },
    fields: [OPENID_FIELD],
    parse: parseOpenid,
    request: (input) => ({ query: { openid: input.openid } }),
  }),
  defineCall<{ kf_account: string }>({
    name: 'listKfSessions',
    resource: 'kfSession',
    action: 'list',
    title: "List a kf account's sessions",
    description: 'The users a kf account is in a session with: openid and createtime.',
    route: { method: 'GET', path: '/kf-accounts/{kf_account}/sessions' },
    endpoint: { method: 'GET', path: '/customservice/kfsession/getsessionlist' },
    answer: { kind: 'json', listField: 'sessionlist' },
    fields: [KF_ACCOUNT_FIELD],
    parse: parseKfAccount,
    request: (input) => ({ query: { kf_account: input.kf_account } }),
  }),
  defineCall<Record<string, never>>({
    name: 'listWaitingUsers',
    resource: 'kfSession',
    action: 'listWaiting',
    title: 'List users waiting for an agent',
    description: 'Users handed to the desk that no agent has taken yet: count, and up to 100 of them (openid, latest_time).',
    route: { method: 'GET', path: '/waiting-users' },
    endpoint: { method: 'GET', path: '/customservice/kfsession/getwaitcase' },
    answer: { kind: 'json', listField: 'waitcaselist' },
    fields: [],
    parse: () => ({}),
  }),
];
