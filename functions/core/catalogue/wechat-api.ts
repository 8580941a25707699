/**
 * Every other WeChat API through the product's one token (docs/passthrough.md):
 * - `callApi`, the passthrough: any call on the API root with the managed token, refreshed and retried as
 *   for the product's own operations; custom/send, typing and the token endpoints refused with a pointer;
 * - `getAccessToken`, token vending, off by default (setting `TOKEN_VENDING`): the one shared token, for
 *   systems that must call WeChat themselves, behind an IAM permission of its own.
 */
import { ConfigurationError, ValidationError } from '../errors';
import { parsePassthrough, type PassthroughInput } from '../passthrough';
import type { AccessToken } from '../token';
import { typeName } from '../validation';
import { WECHAT_CALL_NEEDS } from './fields';
import type { Operation } from './types';

declare module './types' {
  interface OperationServices {
    /** The token cache (token vending reads the one shared token from it). */
    tokens?: { getToken(): Promise<AccessToken> };
  }
}

/** The setting that turns token vending on (CDK: `tokenVending: true`; local: `TOKEN_VENDING=on`). */
export const TOKEN_VENDING = 'TOKEN_VENDING';

/** What `GET /access-token` answers. */
export type VendedToken = {
  access_token: string;
  /** When WeChat stops taking it (ISO 8601). */
  expires_at: string;
  /** Seconds until then, as WeChat's own token endpoints say it. */
  expires_in: number;
};

/** The passthrough and token vending. */
export const WECHAT_API_OPERATIONS: readonly Operation[] = [
  {
    name: 'callApi',
    resource: 'wechatApi',
    action: 'call',
    title: 'Call any WeChat API',
    description:
      'Calls any WeChat API the product has no operation for (user info, tags, menus, templates…) with the managed access token: GET or POST on a path of the API root. Sends and typing go through their own operations.',
    route: { method: 'POST', path: '/wechat-api' },
    input: { kind: 'json' },
    // JSON, or the file WeChat answered with (media/get of an image, a QR code picture).
    answer: { kind: 'json', mayAnswerFile: true },
    gate: { kind: 'none' },
    fields: [
      {
        name: 'method',
        displayName: 'Method',
        type: 'enum',
        required: true,
        default: 'GET',
        enum: [
          { value: 'GET', name: 'GET' },
          { value: 'POST', name: 'POST' },
        ],
      },
      {
        name: 'path',
        displayName: 'Path',
        type: 'string',
        required: true,
        placeholder: '/cgi-bin/user/info',
        description: 'A path on the WeChat API root, e.g. /cgi-bin/user/info (never a full URL)',
        rules: [
          'a path on the API root starting with /, never a URL',
          'no .., no %, no //, no backslash, no ? or #',
          'not /cgi-bin/message/custom/send or /typing (use the send and typing operations) nor the token endpoints',
        ],
      },
      {
        name: 'query',
        displayName: 'Query',
        type: 'json',
        description: 'Query values as a JSON object, e.g. {"openid": "..."}; the product adds access_token itself',
        rules: ['a JSON object of strings, numbers or booleans', 'no access_token'],
      },
      {
        name: 'body',
        displayName: 'Body',
        type: 'json',
        description: 'The JSON body of a POST',
        rules: ['a JSON object or array', 'POST only'],
      },
    ],
    needs: WECHAT_CALL_NEEDS,
    parse: (input) => parsePassthrough(input),
    perform: async (input, services) => {
      if (!services.wechat.callApi) throw new ConfigurationError('this surface cannot make passthrough calls');
      return services.wechat.callApi(input);
    },
  } satisfies Operation<PassthroughInput>,
  {
    name: 'getAccessToken',
    resource: 'accessToken',
    action: 'get',
    title: 'Get the shared access token',
    description:
      'Token vending, off unless TOKEN_VENDING is on: the one access token of an official account (GET /access-token/{appId} for an added one), for systems that must call WeChat themselves, so they never fetch (and knock out) one of their own. Whoever holds it can use the whole WeChat API until it expires.',
    route: { method: 'GET', path: '/access-token', accountPath: '/access-token/{appId}', enabledBy: TOKEN_VENDING, ownPermission: true },
    input: { kind: 'json' },
    gate: { kind: 'none' },
    fields: [],
    // An event cannot carry the token anywhere useful, and a token is not something to put on a bus.
    acceptsEvents: false,
    // n8n's direct mode holds a token of its own (its credential); the product's is read through the gateway.
    direct: false,
    needs: WECHAT_CALL_NEEDS,
    parse: (input) => {
      if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input) || Object.keys(input).length > 0)) {
        throw new ValidationError([{ field: '(body)', rule: `takes no input, got ${typeName(input)}` }]);
      }
      return {};
    },
    perform: async (_input, services): Promise<VendedToken> => {
      if (!services.tokens) throw new ConfigurationError('this surface has no token cache to vend from');
      const token = await services.tokens.getToken();
      const now = services.now();
      return {
        access_token: token.value,
        expires_at: new Date(token.expiresAt).toISOString(),
        expires_in: Math.max(0, Math.floor((token.expiresAt - now) / 1000)),
      };
    },
  } satisfies Operation<Record<string, never>>,
];
