/**
 * Kf accounts (客服账号): list, add, update, delete, and upload an avatar.
 */
import { createHash } from 'crypto';
import * as z from 'zod/mini';
import { ValidationError } from '../errors';
import { limitsFor } from '../limits';
import { optionalString, parseOrThrow, requiredObject, requiredString, typeName } from '../validation';
import { textIssues } from '../fields';
import { defineCall } from './define';
import { KF_ACCOUNT_FIELD, kfAccountSchema } from './fields';
import type { FieldSpec, Operation, OperationOptions } from './types';

declare module './types' {
  interface OperationOptions {
    /**
     * deleteKfAccount's form: `POST` with a JSON body (WeChat's current form, the default) or `GET
     * ?kf_account=` (the 2017 form), e.g. `new WeChatClient({ ..., options: { kfDeleteMethod: 'GET' } })`.
     */
    kfDeleteMethod?: 'POST' | 'GET';
  }
}

/** Input of add and update. */
export interface KfAccountInput {
  kf_account: string;
  nickname: string;
  /** The 32-hex MD5 of the password (as WeChat wants it). */
  password?: string;
}

/**
 * Add / update input. `password` must be WeChat's 32-hex MD5 of the plain password; a plain password is
 * hashed only when the caller asks with `hash_password: true`, so a typo never silently becomes a hash.
 */
function parseKfAccount(input: unknown, options: OperationOptions = {}): KfAccountInput {
  const limits = limitsFor(options.profile);
  const fields = requiredObject(
    {
      kf_account: kfAccountSchema(limits),
      nickname: requiredString().check(
        z.maxLength(limits.nicknameLength.max, {
          error: `must have at most ${limits.nicknameLength.max} characters (${limits.nicknameLength.source})`,
        }),
      ),
      password: optionalString(),
      hash_password: z.optional(z.boolean({ error: (iss) => `must be true or false, got ${typeName(iss.input)}` })),
    },
    'a JSON object {kf_account, nickname, password?}',
  );
  const schema = fields.check(
    z.superRefine((v: z.infer<typeof fields>, ctx) => {
      if (v.password === undefined) {
        if (v.hash_password) ctx.addIssue({ code: 'custom', path: ['hash_password'], message: 'needs a password to hash' });
        return;
      }
      if (!v.hash_password && !/^[0-9a-fA-F]{32}$/.test(v.password)) {
        ctx.addIssue({
          code: 'custom',
          path: ['password'],
          message: 'must be the 32-hex MD5 of the password; set hash_password: true to have a plain password hashed',
        });
      }
      if (v.hash_password && v.password.length === 0) ctx.addIssue({ code: 'custom', path: ['password'], message: 'must not be empty' });
    }),
  );
  const parsed = parseOrThrow(schema, input);
  // The nickname is shown to users: valid Unicode without NUL, as every text sent (docs/input-rules.md).
  const broken = textIssues({ nickname: parsed.nickname });
  if (broken.length > 0) throw new ValidationError(broken);
  const out: KfAccountInput = { kf_account: parsed.kf_account, nickname: parsed.nickname };
  if (parsed.password !== undefined) {
    out.password = parsed.hash_password ? md5Hex(parsed.password) : parsed.password.toLowerCase();
  }
  return out;
}

/** The MD5 of a password in lower-case hex, as WeChat expects kf passwords. */
export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Input of upload avatar: the image bytes (a base64 string is accepted from JSON sources). */
export interface UploadAvatarInput {
  kf_account: string;
  media: Uint8Array;
  filename: string;
}

/** Whether bytes start like a JPEG (SOI marker FF D8 FF). */
export function isJpeg(data: Uint8Array): boolean {
  return data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
}

function parseAvatar(input: unknown, options: OperationOptions = {}): UploadAvatarInput {
  const limits = limitsFor(options.profile);
  const schema = requiredObject(
    {
      kf_account: kfAccountSchema(limits),
      media: z.custom<Uint8Array | string>((v) => v instanceof Uint8Array || typeof v === 'string', {
        error: (iss) =>
          iss.input === undefined
            ? 'is required: the JPG image (bytes, or base64 from JSON)'
            : `must be the JPG image as bytes or a base64 string, got ${typeName(iss.input)}`,
      }),
      filename: optionalString(),
    },
    'an object {kf_account, media}',
  );
  const parsed = parseOrThrow(schema, input);
  let data: Uint8Array;
  if (typeof parsed.media === 'string') {
    const clean = parsed.media.replace(/^data:[^;]+;base64,/, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) throw new ValidationError([{ field: 'media', rule: 'must be base64-encoded JPG bytes' }]);
    data = new Uint8Array(Buffer.from(clean, 'base64'));
  } else {
    data = parsed.media;
  }
  if (data.length === 0) throw new ValidationError([{ field: 'media', rule: 'must not be empty' }]);
  if (data.length > limits.avatarBytes.max) {
    throw new ValidationError([
      {
        field: 'media',
        rule: `must be at most ${limits.avatarBytes.max / 1024 / 1024} MB (${limits.avatarBytes.source}), got ${(data.length / 1024 / 1024).toFixed(1)} MB`,
      },
    ]);
  }
  if (!isJpeg(data)) throw new ValidationError([{ field: 'media', rule: 'must be a JPG image (WeChat accepts only jpg avatars)' }]);
  return { kf_account: parsed.kf_account, media: data, filename: parsed.filename ?? 'avatar.jpg' };
}

const kfAccountOnly = (input: unknown, options: OperationOptions = {}) =>
  parseOrThrow(requiredObject({ kf_account: kfAccountSchema(limitsFor(options.profile)) }, 'an object {kf_account}'), input) as {
    kf_account: string;
  };

/** The fields of add and update. */
const ACCOUNT_FIELDS: readonly FieldSpec[] = [
  KF_ACCOUNT_FIELD,
  {
    name: 'nickname',
    displayName: 'Nickname',
    type: 'string',
    required: true,
    description: 'The name users see (at most 16 characters)',
    rules: ['at most 16 characters'],
  },
  {
    name: 'password',
    displayName: 'Password',
    type: 'string',
    secret: true,
    description: 'Optional: the 32-hex MD5 of the password, or the plain password with Hash Password on',
  },
  {
    name: 'hash_password',
    displayName: 'Hash Password',
    type: 'boolean',
    // Forms start with it on (people type plain passwords); the API defaults to off, so that a typo in an
    // MD5 is refused rather than silently hashed.
    default: true,
    onlyWith: 'password',
    description: 'Whether the password above is plain text, to be sent as its MD5 (off: it is already the 32-hex MD5)',
  },
];

/** The avatar's byte limit: 5 MB (customservice/kfaccount/uploadheadimg). */
const AVATAR_MAX_BYTES = limitsFor('current').avatarBytes.max;

/** Every kf account operation. */
export const KF_ACCOUNT_OPERATIONS: readonly Operation[] = [
  defineCall<Record<string, never>>({
    name: 'listKfAccounts',
    resource: 'kfAccount',
    action: 'list',
    title: 'List kf accounts',
    description: "Lists the official account's kf accounts: kf_account, nickname, id and avatar URL.",
    route: { method: 'GET', path: '/kf-accounts' },
    endpoint: { method: 'GET', path: '/cgi-bin/customservice/getkflist' },
    answer: { kind: 'json', listField: 'kf_list' },
    fields: [],
    parse: (input) => {
      if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input))) {
        throw new ValidationError([{ field: '(body)', rule: `must be empty or an object, got ${typeName(input)}` }]);
      }
      return {};
    },
  }),
  defineCall<KfAccountInput>({
    name: 'addKfAccount',
    resource: 'kfAccount',
    action: 'add',
    title: 'Add a kf account',
    description: 'Adds a kf account (prefix@wechatid) with a nickname and, optionally, the MD5 of a password.',
    route: { method: 'POST', path: '/kf-accounts' },
    endpoint: { method: 'POST', path: '/customservice/kfaccount/add' },
    fields: ACCOUNT_FIELDS,
    parse: parseKfAccount,
  }),
  defineCall<KfAccountInput>({
    name: 'updateKfAccount',
    resource: 'kfAccount',
    action: 'update',
    title: 'Update a kf account',
    description: "Changes a kf account's nickname and, optionally, its password.",
    route: { method: 'PUT', path: '/kf-accounts/{kf_account}' },
    endpoint: { method: 'POST', path: '/customservice/kfaccount/update' },
    fields: ACCOUNT_FIELDS,
    parse: parseKfAccount,
  }),
  defineCall<{ kf_account: string }>({
    name: 'deleteKfAccount',
    resource: 'kfAccount',
    action: 'delete',
    title: 'Delete a kf account',
    description: 'Deletes a kf account.',
    route: { method: 'DELETE', path: '/kf-accounts/{kf_account}' },
    endpoint: { method: 'POST', path: '/customservice/kfaccount/del' },
    fields: [KF_ACCOUNT_FIELD],
    parse: kfAccountOnly,
    // kfDeleteMethod GET (an option of this entry, above): the 2017 form, `GET ?kf_account=`.
    request: (input, options) =>
      options?.kfDeleteMethod === 'GET'
        ? { method: 'GET', query: { kf_account: input.kf_account } }
        : { json: { kf_account: input.kf_account } },
  }),
  defineCall<UploadAvatarInput>({
    name: 'uploadKfAvatar',
    resource: 'kfAccount',
    action: 'uploadAvatar',
    title: "Upload a kf account's avatar",
    description: 'Sets the avatar of a kf account: a JPG image of at most 5 MB (640×640 looks best).',
    route: { method: 'PUT', path: '/kf-accounts/{kf_account}/avatar' },
    endpoint: { method: 'POST', path: '/customservice/kfaccount/uploadheadimg' },
    input: { kind: 'file', field: 'media', maxBytes: AVATAR_MAX_BYTES, accepts: ['image/jpeg'] },
    fields: [
      KF_ACCOUNT_FIELD,
      {
        name: 'media',
        displayName: 'Avatar',
        type: 'file',
        required: true,
        description: 'The JPG image (at most 5 MB, 640×640 looks best)',
        rules: ['a JPG image', 'at most 5 MB'],
      },
    ],
    // Holds up to 5 MB twice (the upload and the multipart body to WeChat).
    sizing: { memoryMb: 512, timeoutSeconds: 15 },
    parse: parseAvatar,
    request: (input) => ({
      query: { kf_account: input.kf_account },
      file: { field: 'media', filename: input.filename, contentType: 'image/jpeg', data: input.media },
    }),
  }),
];
