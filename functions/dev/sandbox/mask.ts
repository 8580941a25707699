/**
 * What the sandbox shows of a recorded request: every secret replaced by `***`. The AppSecret travels in
 * the query of cgi-bin/token and in the body of cgi-bin/stable_token, the access token in every query and
 * in the token endpoints' answers; none of them may reach a log, a console or a test snapshot.
 *
 * @example
 * ```ts
 * maskRequest(record).query.access_token; // '***'
 * ```
 */
import type { RecordedRequest } from './types';

/** Shown in place of a secret. */
export const MASK = '***';

/** Query and body fields that hold a secret, whatever the path. */
const SECRET_FIELDS: ReadonlySet<string> = new Set(['access_token', 'secret', 'appsecret', 'appSecret']);

function maskFields<T>(value: T): T {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_FIELDS.has(k) && v !== undefined && v !== '') {
      out ??= { ...(value as Record<string, unknown>) };
      out[k] = MASK;
    }
  }
  return (out ?? value) as T;
}

/** A copy of a recorded request with the AppSecret and every access token masked (the original is untouched). */
export function maskRequest(r: RecordedRequest): RecordedRequest {
  return {
    ...r,
    query: maskFields(r.query),
    body: maskFields(r.body),
    ...(r.answer ? { answer: { ...r.answer, body: maskFields(r.answer.body) } } : {}),
  };
}
