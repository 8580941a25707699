/**
 * The passthrough (`callApi`): any WeChat API call, made with the product's one managed access token,
 * so that a team never fetches a token of its own (which would knock the product's token out).
 *
 * Its input is `{method: GET | POST, path, query?, body?}`. Because the product adds a credential to the
 * call, the input is checked as hostile (docs/passthrough.md):
 * - `path` is a path on the configured API root, never a URL: it starts with `/`, is made of segments of
 *   `[A-Za-z0-9_-]` (with `.` inside a segment), and has no `..`, no `//`, no backslash, no `%` (so no
 *   percent-encoded `..` or `/`), no `?` or `#`, no `@` or `:` - so the request cannot leave the API root's
 *   host, whatever the root is;
 * - no `access_token` of the caller's own, in `query` or `path`: the product adds its own and would
 *   otherwise send two;
 * - the gated paths are refused with a pointer to the product's own operation: custom/send and typing
 *   (so the send and typing windows cannot be bypassed by accident), and the token endpoints (a call to
 *   cgi-bin/token or a forced stable_token would knock out the token every caller shares);
 * - a GET has no body.
 *
 * @example
 * ```ts
 * const input = parsePassthrough({ method: 'GET', path: '/cgi-bin/user/info', query: { openid: 'OPENID' } });
 * passthroughRequest(input); // { method: 'GET', path: '/cgi-bin/user/info', query: { openid: 'OPENID' } }
 * ```
 */
import { ValidationError, type ValidationIssue } from './errors';
import type { WeChatRequestSpec } from './catalogue';
import { typeName } from './validation';
import { textIssues } from './fields';

/** A passthrough call, checked. */
export interface PassthroughInput {
  method: 'GET' | 'POST';
  /** A path on the API root, e.g. `/cgi-bin/user/info`. */
  path: string;
  /** Query values besides `access_token`. */
  query?: Record<string, string>;
  /** A JSON body, for POST. */
  body?: unknown;
}

/** Longest path accepted (WeChat's paths are far shorter). */
export const PASSTHROUGH_MAX_PATH = 256;
/** Most query parameters accepted. */
export const PASSTHROUGH_MAX_QUERY = 32;
/** Longest query value accepted. */
export const PASSTHROUGH_MAX_QUERY_VALUE = 2048;

/**
 * Paths the passthrough refuses, each with the operation to use instead. Compared without regard to case
 * or a trailing slash.
 */
export const GATED_PATHS: Readonly<Record<string, string>> = {
  '/cgi-bin/message/custom/send':
    'sends go through the send window gate: use sendMessage (POST /messages) or a single-type send such as sendText (POST /messages/text)',
  '/cgi-bin/message/custom/typing': 'typing goes through the typing window gate: use sendTyping (POST /typing)',
  '/cgi-bin/token':
    'the product manages the one access token of this AppID (a cgi-bin/token call would invalidate it for every caller); read it with GET /access-token when token vending is on',
  '/cgi-bin/stable_token':
    'the product manages the one access token of this AppID (a forced stable_token would invalidate it for every caller); read it with GET /access-token when token vending is on',
};

/** The operation to use instead of a gated path, or undefined when the path is not gated. */
export function gatedPathHint(path: string): string | undefined {
  const key = path.toLowerCase().replace(/\/+$/, '');
  return Object.prototype.hasOwnProperty.call(GATED_PATHS, key) ? GATED_PATHS[key] : undefined;
}

const SEGMENT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const QUERY_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** Why a path is refused, or undefined when it is a clean path on the API root. */
function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'must not be empty: a path on the WeChat API root, e.g. /cgi-bin/user/info';
  if (path.length > PASSTHROUGH_MAX_PATH) return `must have at most ${PASSTHROUGH_MAX_PATH} characters`;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path) || path.startsWith('//')) {
    return 'must be a path on the configured WeChat API root (e.g. /cgi-bin/user/info), not a full URL: the product calls only its own API root';
  }
  if (path.includes('\\')) return 'must not contain a backslash';
  if (/\.\./.test(path) || /%2e/i.test(path)) return 'must not contain .. (nor its percent-encoding %2e)';
  if (/access_token/i.test(path)) return 'must not carry an access_token: the product adds its managed token';
  if (path.includes('%')) return 'must not be percent-encoded: WeChat paths are plain letters, digits, _, - and /';
  if (path.includes('?') || path.includes('#')) return 'must not carry a query or fragment: put query values in query';
  if (!path.startsWith('/')) return 'must start with / (a path on the WeChat API root, e.g. /cgi-bin/user/info)';
  if (path.includes('//')) return 'must not contain // (an empty segment)';
  const segments = path.slice(1).replace(/\/$/, '').split('/');
  if (segments.some((s) => !SEGMENT.test(s))) return 'may hold only letters, digits, _, - and . within segments separated by /';
  return undefined;
}

function parseQuery(value: unknown, issues: ValidationIssue[]): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push({ field: 'query', rule: `must be an object of query values, got ${typeName(value)}` });
    return undefined;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > PASSTHROUGH_MAX_QUERY) issues.push({ field: 'query', rule: `may hold at most ${PASSTHROUGH_MAX_QUERY} values` });
  const out: Record<string, string> = {};
  for (const [key, v] of entries) {
    const field = `query.${key}`;
    if (key.toLowerCase() === 'access_token') {
      issues.push({
        field,
        rule: 'must not be given: the product adds its managed access token (a token of your own is what knocks the shared one out)',
      });
      continue;
    }
    if (!QUERY_KEY.test(key)) {
      issues.push({ field, rule: 'the name may hold only letters, digits, _, . and - (1 to 64 characters)' });
      continue;
    }
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = String(v);
    else if (typeof v === 'boolean') out[key] = String(v);
    else if (typeof v === 'string') out[key] = v;
    else {
      issues.push({ field, rule: `must be a string, number or boolean, got ${typeName(v)}` });
      continue;
    }
    if (out[key]!.length > PASSTHROUGH_MAX_QUERY_VALUE)
      issues.push({ field, rule: `must have at most ${PASSTHROUGH_MAX_QUERY_VALUE} characters` });
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Checks a passthrough input.
 *
 * @throws {ValidationError} naming every field and rule broken (`path`, `method`, `query.<name>`, `body`).
 * @example
 * ```ts
 * parsePassthrough({ method: 'POST', path: '/cgi-bin/tags/create', body: { tag: { name: 'vip' } } });
 * parsePassthrough({ method: 'GET', path: 'https://evil.example/x' }); // throws: path: must be a path ...
 * ```
 */
export function parsePassthrough(input: unknown): PassthroughInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError([{ field: '(body)', rule: `must be a JSON object {method, path, query?, body?}, got ${typeName(input)}` }]);
  }
  const raw = input as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  const known = new Set(['method', 'path', 'query', 'body']);
  for (const key of Object.keys(raw))
    if (!known.has(key)) issues.push({ field: key, rule: 'is not a field of callApi: use method, path, query and body' });

  let method: 'GET' | 'POST' | undefined;
  const m = typeof raw.method === 'string' ? raw.method.toUpperCase() : raw.method;
  if (m === 'GET' || m === 'POST') method = m;
  else
    issues.push({
      field: 'method',
      rule: raw.method === undefined ? 'is required: GET or POST' : `must be GET or POST, got ${JSON.stringify(raw.method)}`,
    });

  let path: string | undefined;
  if (typeof raw.path !== 'string') {
    issues.push({
      field: 'path',
      rule:
        raw.path === undefined
          ? 'is required: a path on the WeChat API root, e.g. /cgi-bin/user/info'
          : `must be a string, got ${typeName(raw.path)}`,
    });
  } else {
    const problem = pathProblem(raw.path);
    if (problem) issues.push({ field: 'path', rule: problem });
    else {
      const gated = gatedPathHint(raw.path);
      if (gated) issues.push({ field: 'path', rule: `is not allowed through callApi: ${gated}` });
      else path = raw.path.replace(/\/$/, '');
    }
  }

  const query = parseQuery(raw.query, issues);

  if (raw.body !== undefined && raw.body !== null) {
    if (method === 'GET') issues.push({ field: 'body', rule: 'must be left out for a GET' });
    else if (typeof raw.body !== 'object')
      issues.push({ field: 'body', rule: `must be a JSON object or array, got ${typeName(raw.body)}` });
    // Any text it carries reaches WeChat as a send's would: valid Unicode without NUL (docs/input-rules.md).
    else issues.push(...textIssues(raw.body, 'body'));
  }
  if (query) issues.push(...textIssues(query, 'query'));

  if (issues.length > 0) throw new ValidationError(issues);
  return {
    method: method!,
    path: path!,
    ...(query ? { query } : {}),
    ...(method === 'POST' && raw.body !== undefined && raw.body !== null ? { body: raw.body } : {}),
  };
}

/**
 * Joins the API root and a checked path, and makes sure the result stayed on the root's origin and under
 * its path: a last guard, should a path ever slip past {@link parsePassthrough}.
 *
 * @throws {ValidationError} when the URL would leave the API root.
 * @example
 * ```ts
 * passthroughUrl('https://api.weixin.qq.com', '/cgi-bin/user/info'); // 'https://api.weixin.qq.com/cgi-bin/user/info'
 * ```
 */
export function passthroughUrl(baseUrl: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  const root = new URL(`${base}/`);
  const url = new URL(base + path);
  // URL parsing resolves dot-segments and backslashes: any change means the path was not a plain one.
  if (url.origin !== root.origin || url.pathname !== `${root.pathname.replace(/\/$/, '')}${path}` || url.search !== '' || url.hash !== '') {
    throw new ValidationError([{ field: 'path', rule: 'must stay on the configured WeChat API root' }]);
  }
  return base + path;
}

/**
 * WeChat's request for a checked passthrough input (the client adds the token).
 *
 * @example
 * ```ts
 * passthroughRequest({ method: 'POST', path: '/cgi-bin/tags/create', body: { tag: { name: 'vip' } } });
 * // { method: 'POST', path: '/cgi-bin/tags/create', json: { tag: { name: 'vip' } } }
 * ```
 */
export function passthroughRequest(input: PassthroughInput): WeChatRequestSpec {
  return {
    method: input.method,
    path: input.path,
    ...(input.query ? { query: input.query } : {}),
    ...(input.body !== undefined ? { json: input.body } : {}),
  };
}
