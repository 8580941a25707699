/**
 * The control plane: `/sandbox/...` routes on the sandbox's own server, so a person (curl) or the local
 * server can drive it over HTTP. Answers are JSON; misuse answers 400 `{"error": {"code", "message"}}`,
 * an unknown route 404. Access tokens are masked (`***`) in recorded requests served here.
 *
 * Every route acts on one official account (accounts.ts): the one named by `?appId=` or by `"appId"` in a
 * JSON body, else the first (so a caller that names none is answered as before there were several); an
 * AppID the sandbox does not host answers 404 UNKNOWN_ACCOUNT (docs/configuration.md, "The sandbox's
 * official accounts").
 *
 * | route | what |
 * | --- | --- |
 * | GET /sandbox | what this is: URL, appid, rules, implemented API paths, callback (never its token) |
 * | GET /sandbox/accounts | every hosted account: appId, ghId, wechatId, default, callback (never a secret) |
 * | POST /sandbox/users/{openid}/messages | `{"content"}` (text), `{"menuId","content"}` (menu tap), any UserAction, or a file: an image or voice note (multipart, or a raw image/* or audio/* body) |
 * | POST /sandbox/users/{openid}/events | `{"event", "eventKey"?}` |
 * | GET /sandbox/users, /sandbox/users/{openid} | user state: following, window, can send |
 * | GET /sandbox/messages?openid= | messages accepted by custom/send |
 * | GET /sandbox/typing?openid= | typing commands accepted |
 * | GET /sandbox/counts | requests per API path |
 * | GET /sandbox/requests?path= | requests received (AppSecret and access tokens masked) |
 * | GET /sandbox/stream?openid= | all of it as it happens: server-sent events (stream.ts) |
 * | GET /sandbox/kf-accounts | kf accounts (without password) |
 * | GET /sandbox/kf-avatars/{kf_id}.jpg | an uploaded avatar |
 * | GET /sandbox/media, /sandbox/media/{media_id} | temporary media held; one file's bytes (a video's video_url) |
 * | DELETE /sandbox/media/{media_id} | WeChat forgets a media_id early (sends naming it get 40007) |
 * | POST /sandbox/faults, GET /sandbox/faults | inject a Fault / list pending ones |
 * | POST /sandbox/reset | clear state, counts and faults |
 * | GET, PUT /sandbox/account | `{"customerServiceApi": false}`: an account without the customer-service API (48001; passive.ts) |
 * | POST /sandbox/tokens/invalidate, /sandbox/tokens/expire | every token → 40001 / 42001 |
 * | POST /sandbox/offline {"ms"} | WeChat unreachable: connections refused for ms, then back (after this answer) |
 * | GET, PUT, DELETE /sandbox/callback; POST /sandbox/callback/verify | the push target; echostr check |
 * | /sandbox/desk, /sandbox/kf-accounts/{kf_account}/... | agents, invitations, sessions: desk-control.ts |
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PATHS } from './api';
import { DESK_CONTROL_ROUTES, handleDeskControl, isDeskControlPath, type DeskControlTarget } from './desk-control';
import { SandboxUsageError } from './errcodes';
import type { SandboxFeed } from './feed';
import { maskRequest } from './mask';
import { serveStream } from './stream';
import { crossSiteRefusal } from '../console/cross-site';
import { fileAnswer, mediaOf, userMediaAction } from './media';
import type { SandboxState } from './state';
import type { CallbackConfig, CallbackVerification, Fault, MediaRecord, PushResult, RulesProfile, UserAction, UserSnapshot } from './types';

/**
 * What the control plane drives: one official account (accounts.ts), the first unless the caller named
 * another with `appId`. Its `state` is that account's; `traffic` (requests, counts, faults) is the sandbox's.
 */
export interface ControlTarget extends DeskControlTarget {
  readonly url: string;
  readonly appId: string;
  readonly ghId: string;
  readonly rules: RulesProfile;
  readonly wechatId: string;
  readonly state: SandboxState;
  /** The sandbox's traffic, every account's: recorded requests, counts per path, pending faults. */
  readonly traffic: SandboxState;
  readonly feed: SandboxFeed;
  /** Another hosted account, by AppID; undefined when the sandbox hosts none with it. */
  accountView(appId: string): ControlTarget | undefined;
  /** Every hosted account, the first first (never a secret, token or key). */
  accountsInfo(): Array<{
    appId: string;
    wechatId: string;
    ghId: string;
    default: boolean;
    callback: { url: string; mode: string; format: string } | null;
  }>;
  callbackInfo(): { url: string; mode: string; format: string } | null;
  reset(): void;
  injectFault(f: Fault): void;
  invalidateTokens(): void;
  expireTokens(): void;
  goOffline(ms: number): Promise<void>;
  configureCallback(cb: CallbackConfig | undefined): void;
  verifyCallback(): Promise<CallbackVerification>;
  simulateUser(openid: string, action: UserAction): Promise<PushResult>;
  user(openid: string): UserSnapshot | undefined;
  media(): MediaRecord[];
  forgetMedia(mediaId: string): boolean;
}

/** The control routes, as GET /sandbox lists them. */
export const CONTROL_ROUTES: readonly string[] = [
  'Every route: ?appId= (or "appId" in a JSON body) names the official account; absent: the first',
  'GET /sandbox',
  'GET /sandbox/accounts',
  'POST /sandbox/users/{openid}/messages {"content"} | {"menuId","content"} | UserAction | an image or voice file (multipart, or raw image/* or audio/*)',
  'POST /sandbox/users/{openid}/events {"event","eventKey"?}',
  'POST /sandbox/users/{openid}/actions UserAction',
  'GET /sandbox/users',
  'GET /sandbox/users/{openid}',
  'GET /sandbox/messages?openid=',
  'GET /sandbox/typing?openid=',
  'GET /sandbox/counts',
  'GET /sandbox/requests?path=',
  'GET /sandbox/stream?openid= (server-sent events: push, message, typing, request, user, reset)',
  'GET /sandbox/kf-accounts',
  'GET /sandbox/kf-avatars/{kf_id}.jpg',
  'GET /sandbox/media',
  'GET /sandbox/media/{media_id}',
  'DELETE /sandbox/media/{media_id} (WeChat forgets it early: sends naming it get 40007)',
  'POST /sandbox/faults Fault',
  'GET /sandbox/faults',
  'POST /sandbox/reset',
  'GET /sandbox/account',
  'PUT /sandbox/account {"customerServiceApi": true | false} (false: custom/send, typing and the kf APIs answer 48001)',
  'POST /sandbox/tokens/invalidate',
  'POST /sandbox/tokens/expire',
  'POST /sandbox/offline {"ms"}',
  'GET /sandbox/callback',
  'PUT /sandbox/callback {"url","token","encodingAesKey"?,"mode"?,"format"?}',
  'DELETE /sandbox/callback',
  'POST /sandbox/callback/verify',
  ...DESK_CONTROL_ROUTES,
];

class NotFound extends Error {}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A JSON object body, without its `appId` (which names the account: {@link accountParam}). */
function parseJson(raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SandboxUsageError('the body must be JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new SandboxUsageError('the body must be a JSON object');
  const { appId: _appId, ...rest } = value as Record<string, unknown>;
  return rest;
}

/**
 * The account a control request names: `?appId=`, or `appId` in a JSON object body; undefined when it
 * names none (the first account). Both, different: a 400.
 */
function accountParam(url: URL, raw: Buffer, contentType: string | undefined): string | undefined {
  const inQuery = url.searchParams.get('appId') ?? undefined;
  let inBody: unknown;
  // Whatever the content type says (curl -d sends form-urlencoded): a body that is a JSON object may name it.
  if (raw.length > 0 && !/^multipart\//i.test(contentType ?? '') && raw.toString('utf8', 0, 64).trimStart().startsWith('{')) {
    try {
      const value = JSON.parse(raw.toString('utf8')) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) inBody = (value as Record<string, unknown>).appId;
    } catch {
      inBody = undefined;
    }
  }
  if (inBody !== undefined && typeof inBody !== 'string')
    throw new SandboxUsageError('appId must be a string (the AppID of a hosted account)');
  if (inQuery !== undefined && inBody !== undefined && inQuery !== inBody)
    throw new SandboxUsageError('appId in the query and in the body differ: name one account');
  return inQuery ?? inBody;
}

function messageAction(body: Record<string, unknown>): UserAction {
  if (typeof body.type === 'string') return body as unknown as UserAction;
  if (typeof body.menuId === 'string') return { type: 'menuReply', menuId: body.menuId, content: String(body.content ?? '') };
  if (typeof body.content !== 'string')
    throw new SandboxUsageError('give {"content": "..."} (text), {"menuId", "content"} or a UserAction {"type", ...}');
  return { type: 'text', content: body.content };
}

/**
 * Answers one control-plane request.
 *
 * @example
 * ```sh
 * curl -X POST localhost:3100/sandbox/users/o123/messages -d '{"content":"hi"}'
 * ```
 */
export async function handleControl(first: ControlTarget, req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): Promise<void> {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const q = (k: string) => url.searchParams.get(k) ?? undefined;
  // The console is served on this origin (npm run sandbox): no other site may drive the sandbox from a browser.
  const refusal = crossSiteRefusal(req);
  if (refusal) return send(res, 403, { error: { code: 'CROSS_SITE', message: refusal } });
  try {
    const appId = accountParam(url, raw, req.headers['content-type']);
    const named = appId === undefined ? first : first.accountView(appId);
    if (!named)
      return send(res, 404, {
        error: {
          code: 'UNKNOWN_ACCOUNT',
          message: `appId: the sandbox hosts no account ${JSON.stringify(String(appId).slice(0, 64))} (it hosts ${first
            .accountsInfo()
            .map((a) => a.appId)
            .join(', ')})`,
        },
      });
    const target = named;
    if (isDeskControlPath(path) && (await handleDeskControl(target, method, path, method === 'GET' ? {} : parseJson(raw), send, res)))
      return;
    const userRoute = /^\/sandbox\/users\/([^/]+)(?:\/(messages|events|actions))?$/.exec(path);
    if (userRoute) {
      const openid = decodeURIComponent(userRoute[1] as string);
      const what = userRoute[2];
      if (!what) {
        if (method !== 'GET') throw new NotFound();
        const snapshot = target.user(openid);
        if (!snapshot) return send(res, 404, { error: { code: 'UNKNOWN_USER', message: `the sandbox has never seen ${openid}` } });
        return send(res, 200, snapshot);
      }
      if (method !== 'POST') throw new NotFound();
      const fileAction = what === 'messages' ? userMediaAction(raw, req.headers['content-type']) : undefined;
      if (fileAction) return send(res, 200, await target.simulateUser(openid, fileAction));
      const body = parseJson(raw);
      let action: UserAction;
      if (what === 'events') {
        if (typeof body.event !== 'string') throw new SandboxUsageError('give {"event": "subscribe", "eventKey"?: "..."}');
        action = { type: 'event', event: body.event, ...(body.eventKey !== undefined ? { eventKey: body.eventKey } : {}) } as UserAction;
      } else if (what === 'messages') {
        action = messageAction(body);
      } else {
        action = body as unknown as UserAction;
      }
      return send(res, 200, await target.simulateUser(openid, action));
    }
    const avatar = /^\/sandbox\/kf-avatars\/([^/]+)\.jpg$/.exec(path);
    if (avatar && method === 'GET') {
      const account = [...target.state.kf.values()].find((a) => a.kf_id === avatar[1]);
      if (!account?.avatar) throw new NotFound();
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': account.avatar.length });
      res.end(account.avatar);
      return;
    }
    if (method === 'GET' && path === '/sandbox/stream')
      return serveStream(target.feed, req, res, url, appId === undefined ? undefined : target === first ? null : target.appId);
    const media = /^\/sandbox\/media\/([^/]+)$/.exec(path);
    if (media && method === 'DELETE') {
      if (!target.forgetMedia(decodeURIComponent(media[1] as string))) throw new NotFound();
      return send(res, 200, { ok: true });
    }
    if (media && method === 'GET') {
      // Served without the 3-day check: this stands in for WeChat's CDN links (PicUrl, video_url). A CDN
      // that fails is a fault named by this exact path (`*` stays for API paths): `{"path":
      // "/sandbox/media/<id>", "kind": "http", "status": 404}`.
      if (target.traffic.pendingFaults().some((f) => f.path === path)) {
        const fault = target.traffic.takeFault(path);
        if (fault?.kind === 'http')
          return send(res, fault.status, { error: { code: 'CDN_FAULT', message: `sandbox: injected HTTP ${fault.status}` } });
      }
      // A CDN link works whichever account's it is: media_ids are random, unique across accounts.
      const id = decodeURIComponent(media[1] as string);
      const item = first
        .accountsInfo()
        .map((a) => first.accountView(a.appId)?.state)
        .flatMap((state) => (state ? mediaOf(state).list() : []))
        .find((m) => m.media_id === id);
      if (!item) throw new NotFound();
      const { file } = fileAnswer(item);
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.data.length });
      res.end(file.data);
      return;
    }
    const key = `${method} ${path}`;
    switch (key) {
      case 'GET /sandbox':
        return send(res, 200, {
          name: 'WeChat customer-service sandbox',
          url: target.url,
          appId: target.appId,
          ghId: target.ghId,
          wechatId: target.wechatId,
          accounts: target.accountsInfo().map((a) => a.appId),
          rules: target.rules,
          apiPaths: API_PATHS,
          controlRoutes: CONTROL_ROUTES,
          callback: target.callbackInfo(),
        });
      case 'GET /sandbox/accounts':
        return send(res, 200, { accounts: target.accountsInfo() });
      case 'GET /sandbox/users':
        return send(res, 200, { users: [...target.state.users.keys()].map((id) => target.user(id)) });
      case 'GET /sandbox/messages': {
        const openid = q('openid');
        return send(res, 200, { messages: target.state.sent.filter((m) => openid === undefined || m.openid === openid) });
      }
      case 'GET /sandbox/typing': {
        const openid = q('openid');
        return send(res, 200, { typing: target.state.typing.filter((t) => openid === undefined || t.openid === openid) });
      }
      case 'GET /sandbox/media':
        return send(res, 200, { media: target.media() });
      case 'GET /sandbox/counts':
        return send(res, 200, { counts: Object.fromEntries(target.traffic.counts) });
      case 'GET /sandbox/requests': {
        const p = q('path');
        return send(res, 200, {
          requests: target.traffic
            .requestsKept()
            .filter((r) => (p === undefined || r.path === p) && (appId === undefined || r.appId === appId))
            .map(maskRequest),
        });
      }
      case 'GET /sandbox/kf-accounts':
        return send(res, 200, {
          kf_accounts: [...target.state.kf.values()].map((a) => ({
            kf_account: a.kf_account,
            kf_nick: a.kf_nick,
            kf_id: a.kf_id,
            kf_headimgurl: a.kf_headimgurl,
          })),
        });
      case 'POST /sandbox/faults':
        target.injectFault(parseJson(raw) as unknown as Fault);
        return send(res, 200, { ok: true, pending: target.traffic.pendingFaults() });
      case 'GET /sandbox/faults':
        return send(res, 200, { pending: target.traffic.pendingFaults() });
      case 'GET /sandbox/account':
        return send(res, 200, { customerServiceApi: target.state.customerServiceApi });
      case 'PUT /sandbox/account': {
        const { customerServiceApi } = parseJson(raw);
        if (typeof customerServiceApi !== 'boolean') throw new SandboxUsageError('give {"customerServiceApi": true | false}');
        target.state.customerServiceApi = customerServiceApi;
        return send(res, 200, { customerServiceApi });
      }
      case 'POST /sandbox/reset':
        target.reset();
        return send(res, 200, { ok: true });
      case 'POST /sandbox/tokens/invalidate':
        target.invalidateTokens();
        return send(res, 200, { ok: true });
      case 'POST /sandbox/tokens/expire':
        target.expireTokens();
        return send(res, 200, { ok: true });
      case 'POST /sandbox/offline': {
        const { ms } = parseJson(raw) as { ms?: unknown };
        if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 1 || ms > 600_000)
          throw new SandboxUsageError('offline needs ms, an integer 1-600000');
        // Answered first: going offline closes every connection, this one too.
        res.once('finish', () => void target.goOffline(ms));
        return send(res, 200, { ok: true, offlineMs: ms });
      }
      case 'GET /sandbox/callback':
        return send(res, 200, { callback: target.callbackInfo() });
      case 'PUT /sandbox/callback':
      case 'POST /sandbox/callback':
        target.configureCallback(parseJson(raw) as unknown as CallbackConfig);
        return send(res, 200, { ok: true, callback: target.callbackInfo() });
      case 'DELETE /sandbox/callback':
        target.configureCallback(undefined);
        return send(res, 200, { ok: true, callback: null });
      case 'POST /sandbox/callback/verify':
        return send(res, 200, await target.verifyCallback());
      default:
        throw new NotFound();
    }
  } catch (error) {
    if (error instanceof NotFound)
      return send(res, 404, { error: { code: 'NOT_FOUND', message: `no control route ${method} ${path}; see GET /sandbox` } });
    if (error instanceof SandboxUsageError) return send(res, 400, { error: { code: 'INVALID_INPUT', message: error.message } });
    throw error;
  }
}
