/**
 * Field rules shared by several operations: the zod schemas `parse` uses, and the same fields as data
 * ({@link FieldSpec}) for the n8n node and the console. The two sit side by side so a rule and its words
 * change together.
 */
import * as z from 'zod/mini';
import { openidSchema as coreOpenidSchema } from '../fields';
import type { Limits } from '../limits';
import { requiredObject, requiredString } from '../validation';
import type { FieldSpec, FunctionNeeds, MediaSource } from './types';

/** kf_account: prefix of 1–10 `[A-Za-z0-9_]`, `@`, the account's WeChat ID; at most 30 characters. */
export function kfAccountSchema(limits: Limits) {
  return requiredString().check(
    z.maxLength(limits.kfAccountLength.max, {
      error: `must have at most ${limits.kfAccountLength.max} characters (${limits.kfAccountLength.source})`,
    }),
    z.refine((v: string) => /^[^@]+@[^@]+$/.test(v), { error: 'must be prefix@wechatid, e.g. kf1@mywechatid' }),
    z.refine((v: string) => !/^[^@]+@/.test(v) || v.split('@')[0]!.length <= limits.kfAccountPrefixLength.max, {
      error: `the part before @ must have at most ${limits.kfAccountPrefixLength.max} characters (${limits.kfAccountPrefixLength.source})`,
    }),
    z.refine((v: string) => !/^[^@]+@/.test(v) || /^[A-Za-z0-9_]+$/.test(v.split('@')[0]!), {
      error: 'the part before @ may hold only letters, digits and _',
    }),
  );
}

/** An openid: the one rule of core/fields.ts (1–128 printable characters, no spaces), shared with /interactions and the store. */
export const openidSchema = coreOpenidSchema;

/** `customservice: {kf_account}`: send as a named kf account. */
export const customserviceSchema = (limits: Limits) =>
  z.optional(requiredObject({ kf_account: kfAccountSchema(limits) }, 'an object {kf_account}'));

/** A media_id of uploaded media. */
export const mediaIdSchema = () => requiredString('a media_id');

/** The kf_account field, as data. */
export const KF_ACCOUNT_FIELD: FieldSpec = {
  name: 'kf_account',
  displayName: 'Kf Account',
  type: 'string',
  required: true,
  placeholder: 'kf2001@gh_account_wxid',
  description: "The kf account: a prefix of up to 10 letters, digits or _, then @ and the official account's WeChat ID",
  rules: ['prefix@wechatid', 'at most 30 characters', 'the prefix: at most 10 letters, digits or _'],
};

/** The recipient's openid, as data. */
export const TOUSER_FIELD: FieldSpec = {
  name: 'touser',
  displayName: 'Recipient OpenID',
  type: 'string',
  required: true,
  placeholder: '={{ $json.openid }}',
  description: 'The openid of the user (it must have written to the official account recently)',
  rules: ['an openid: printable characters without spaces', 'at most 128 characters'],
};

/** What the function of an operation that is one WeChat call needs: the secret, WeChat, the token cache. */
export const WECHAT_CALL_NEEDS: FunctionNeeds = { secret: true, callsWeChat: true, table: 'readWrite', publishesEvents: false };

/**
 * The sources of a `media` field: all three (a media_id, a file, a URL) when the field does not say.
 *
 * @example
 * ```ts
 * mediaSourcesOfField({ name: 'media_id', displayName: 'Image', type: 'media' }); // ['mediaId', 'file', 'url']
 * ```
 */
export function mediaSourcesOfField(field: FieldSpec): readonly MediaSource[] {
  return field.sources ?? ['mediaId', 'file', 'url'];
}
