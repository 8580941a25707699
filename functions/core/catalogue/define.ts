/**
 * The builder of a catalogue entry that is one WeChat call: its request is derived from its `endpoint`,
 * so the path is written once, and what most entries repeat is implied: `input: json`, `gate: none`, and
 * the needs of a function that calls WeChat (secret, table for the token cache, egress).
 */
import { WECHAT_CALL_NEEDS } from './fields';
import type { Operation, OperationOptions, WeChatRequestSpec } from './types';

/** An entry that is one WeChat call, as written: `endpoint` is required; `input`, `gate` and `needs` default. */
export type CallEntry<I> = Omit<Operation<I>, 'endpoint' | 'input' | 'gate' | 'needs' | 'toRequest'> &
  Partial<Pick<Operation<I>, 'input' | 'gate' | 'needs'>> & {
    readonly endpoint: { method: 'GET' | 'POST'; path: string };
    /**
     * What the call carries besides the endpoint: a JSON body, a query, a file, or another method (the
     * 2017 delete form). Default: a POST sends the input as its JSON body, a GET nothing.
     */
    request?(input: I, options?: OperationOptions): Omit<Partial<WeChatRequestSpec>, 'path'>;
  };

/**
 * A catalogue entry that is one WeChat call, its request built from `endpoint`.
 *
 * @example
 * ```ts
 * const closeKfSession = defineCall<{ kf_account: string; openid: string }>({
 *   name: 'closeKfSession', resource: 'kfSession', action: 'close', title: 'Close a session', description: '…',
 *   route: { method: 'POST', path: '/kf-sessions/close' },
 *   endpoint: { method: 'POST', path: '/customservice/kfsession/close' },
 *   fields: [KF_ACCOUNT_FIELD, OPENID_FIELD],
 *   parse: parseSession,
 *   request: (input) => ({ json: { kf_account: input.kf_account, openid: input.openid } }),
 * });
 * closeKfSession.toRequest!(input); // { method: 'POST', path: '/customservice/kfsession/close', json: {…} }
 * ```
 */
export function defineCall<I>(entry: CallEntry<I>): Operation<I> {
  const { request, endpoint, ...rest } = entry;
  return {
    input: { kind: 'json' },
    gate: { kind: 'none' },
    needs: WECHAT_CALL_NEEDS,
    ...rest,
    endpoint,
    toRequest: (input, options) => {
      const extra = request ? request(input, options) : endpoint.method === 'POST' ? { json: input } : {};
      return { method: endpoint.method, path: endpoint.path, ...extra };
    },
  };
}
