/**
 * A small API Gateway for one machine: matches a request against the routes of LAMBDA_FUNCTIONS, turns it
 * into an HTTP API (payload 2.0) event exactly as API Gateway would, invokes the function's handler in
 * process, and writes its answer back. The local server is therefore the deployed API, minus IAM.
 */
import { isUtf8 } from 'buffer';
import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LambdaFunctionSpec, RouteSpec } from '../../lambda/functions';
import { logLocationText } from '../../http/http';

/** A handler as the gateway calls it. */
export type GatewayHandler = (event: APIGatewayProxyEventV2) => Promise<unknown>;

interface CompiledRoute {
  route: RouteSpec;
  fn: LambdaFunctionSpec;
  pattern: RegExp;
  names: string[];
}

/** Largest body the gateway reads (API Gateway's own payload limit is 10 MB). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Content types API Gateway passes as text; anything else arrives base64-encoded. */
function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const ct = contentType.toLowerCase();
  return ct.startsWith('text/') || ct.includes('json') || ct.includes('xml') || ct.startsWith('application/x-www-form-urlencoded');
}

/** `/kf-accounts/{kf_account}/avatar` → a regex with one capture per `{parameter}`, as API Gateway matches. */
function compile(route: RouteSpec, fn: LambdaFunctionSpec): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(\+?)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
      names.push(param[1]!);
      // `{proxy+}`: API Gateway's greedy parameter, the rest of the path.
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, fn, names, pattern: new RegExp(`^${source}$`) };
}

/** Reads a request body up to a limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer) {
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/**
 * Answers `{ error: { code, message } }` with `status`, as every route of the local server does.
 *
 * @example
 * ```ts
 * sendError(res, 403, 'CROSS_SITE', 'a cross-site request (Sec-Fetch-Site) is refused: ...');
 * ```
 */
export function sendError(res: ServerResponse, status: number, code: string, message: string) {
  send(res, status, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ error: { code, message } }));
}

/**
 * Routes requests to handlers.
 *
 * @example
 * ```ts
 * const gateway = new LocalGateway(LAMBDA_FUNCTIONS, (fn) => handlers[fn.id]);
 * http.createServer((req, res) => gateway.handle(req, res));
 * ```
 */
export class LocalGateway {
  private readonly routes: CompiledRoute[];

  private readonly offRoutes: CompiledRoute[];

  /**
   * @param off functions whose setting is off (route.enabledBy): their routes answer a JSON 404 that names
   *   the setting to turn on, instead of "no route".
   */
  constructor(
    functions: readonly LambdaFunctionSpec[],
    private readonly handlerFor: (fn: LambdaFunctionSpec) => GatewayHandler,
    off: readonly LambdaFunctionSpec[] = [],
  ) {
    this.routes = functions.flatMap((fn) => fn.routes.map((route) => compile(route, fn)));
    this.offRoutes = off.flatMap((fn) => fn.routes.map((route) => compile(route, fn)));
  }

  /** Every route, as `METHOD /path`. */
  describeRoutes(): string[] {
    return this.routes.map((r) => `${r.route.method.padEnd(6)} ${r.route.path}`);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const matches = this.routes.filter((r) => r.pattern.test(rawPath));
    if (matches.length === 0) {
      const off = this.offRoutes.find((r) => r.pattern.test(rawPath) && r.route.method === method);
      if (off?.fn.enabledBy) {
        const setting = off.fn.enabledBy;
        return sendError(
          res,
          404,
          'ROUTE_OFF',
          `${method} ${off.route.path} is off: start npm start with ${setting}=on to serve it (deployed: the construct property enable: ['${setting}']); see docs/configuration.md`,
        );
      }
      return sendError(res, 404, 'NOT_FOUND', `no route for ${rawPath}`);
    }
    const match = matches.find((r) => r.route.method === method || r.route.method === 'ANY');
    if (!match) {
      res.setHeader('allow', matches.map((r) => r.route.method).join(', '));
      return sendError(
        res,
        405,
        'METHOD_NOT_ALLOWED',
        `${method} is not allowed on ${rawPath}; use ${matches.map((r) => r.route.method).join(' or ')}`,
      );
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === 'too-large') return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `the body must be at most ${MAX_BODY_BYTES} bytes`);

    const values = match.pattern.exec(rawPath)!.slice(1);
    const pathParameters = Object.fromEntries(match.names.map((n, i) => [n, values[i]!]));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    // As API Gateway: a body that is not text arrives base64-encoded. A binary body under a text content
    // type (curl --data-binary @photo.jpg says application/x-www-form-urlencoded) must not be decoded as
    // UTF-8, which would mangle its bytes.
    const textual = isTextual(headers['content-type']) && isUtf8(body);
    const now = new Date();
    const routeKey = `${match.route.method} ${match.route.path}`;
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey,
      rawPath,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      queryStringParameters: Object.keys(query).length ? query : undefined,
      pathParameters: match.names.length ? pathParameters : undefined,
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: headers.host ?? 'localhost',
        domainPrefix: 'localhost',
        http: {
          method,
          path: rawPath,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey,
        stage: '$default',
        time: now.toISOString(),
        timeEpoch: now.getTime(),
      },
      body: body.length ? body.toString(textual ? 'utf8' : 'base64') : undefined,
      isBase64Encoded: body.length > 0 && !textual,
    };
    let result: any;
    try {
      result = await this.handlerFor(match.fn)(event);
    } catch (error) {
      // A Lambda that throws behind API Gateway answers 500 Internal Server Error.
      console.error(`[${match.fn.id}] unhandled error: ${(error as Error)?.message ?? error}`);
      return sendError(res, 500, 'INTERNAL_ERROR', `internal error; the details are in ${logLocationText()}`);
    }
    const status = typeof result?.statusCode === 'number' ? result.statusCode : 200;
    const outHeaders: Record<string, string> = { ...(result?.headers ?? {}) };
    const outBody =
      typeof result?.body === 'string'
        ? result.isBase64Encoded
          ? Buffer.from(result.body, 'base64')
          : result.body
        : JSON.stringify(result ?? null);
    if (!outHeaders['content-type'] && typeof result?.body !== 'string') outHeaders['content-type'] = 'application/json';
    send(res, status, outHeaders, outBody);
  }
}
