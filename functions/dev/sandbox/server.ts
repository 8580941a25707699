/**
 * The sandbox's HTTP server: WeChat's API paths (answered by api.ts, after any injected fault), the
 * `/sandbox/...` control plane (control.ts), and HTTP 404 for anything else.
 *
 * @example
 * ```ts
 * const sandbox = await startSandbox({ now: () => clock });
 * await sandbox.simulateUser('o_user', { type: 'text', content: 'hi' });
 * // point the client at sandbox.url with sandbox.appId / sandbox.appSecret
 * await sandbox.stop();
 * ```
 */
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extraAccount, SandboxAccount } from './accounts';
import { handleApi, isApiPath, type ApiContext } from './api';
import { handleControl, type ControlTarget } from './control';
import { createConsoleRoutes, type ConsoleRoutes } from '../console/routes';
import { errmsgFor, errmsgOf, SandboxUsageError } from './errcodes';
import { SandboxFeed, entryOpenid } from './feed';
import { isFileAnswer, mediaOf, withUserMedia } from './media';
import { parseMultipart } from './multipart';
import { deskOf, OPERCODE, recordText, type DeskEvent } from './desk';
import { buildPushMessage, deliverPush, renderPush, resolveCallback } from './push';
import { readReply } from './reply';
import { passiveMessage } from './passive';
import { sha1Signature } from './crypto';
import { loadSandbox, saveSandbox } from './persist';
import { validateAction, validateFault, type SandboxState } from './state';
import type {
  CallbackConfig,
  CallbackVerification,
  Fault,
  KfAccountRecord,
  MediaRecord,
  PushResult,
  RecordedRequest,
  Sandbox,
  SandboxOptions,
  RulesProfile,
  SandboxAccountHandle,
  SentMessage,
  TypingEvent,
  UserAction,
  UserSnapshot,
} from './types';

/**
 * A download's Content-Disposition: an ASCII filename, and the UTF-8 name as RFC 5987's filename* when it
 * is not ASCII (a header carries only Latin-1), so a name in Chinese comes back as it was uploaded.
 */
function dispositionOf(filename: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern removes
  const clean = filename.replace(/[\u0000-\u001f\u007f"\\]/g, '_');
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_');
  if (ascii === clean) return `attachment; filename="${ascii}"`;
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The official account's original ID in every push. */
export const SANDBOX_TO_USER_NAME = 'gh_sandbox';
const DEFAULT_APP_ID = 'wxsandbox0000000001';
const DEFAULT_APP_SECRET = 'sandbox-secret';
/** Bodies above this are cut off (the connection is destroyed). */
const MAX_BODY = 32 * 1024 * 1024;
/** WeChat answers JSON with this content type. */
const WECHAT_JSON = 'application/json; encoding=utf-8';

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.socket.destroy();
        reject(new Error('body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The recorded form of a body: JSON if it parses, a multipart summary, the text, or undefined. */
function recordedBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const parts = parseMultipart(raw, contentType);
  if (parts)
    return { multipart: parts.map((p) => ({ name: p.name, filename: p.filename, contentType: p.contentType, size: p.data.length })) };
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * One hosted account seen through the sandbox: what the control plane drives when a caller names it
 * (`?appId=`), and what `sandbox.account(appId)` hands out. The first account's view is the sandbox's own.
 */
class AccountView implements ControlTarget, SandboxAccountHandle {
  constructor(
    private readonly server: SandboxServer,
    readonly account: SandboxAccount,
  ) {}

  get url(): string {
    return this.server.url;
  }
  get appId(): string {
    return this.account.appId;
  }
  get appSecret(): string {
    return this.account.appSecret;
  }
  get wechatId(): string {
    return this.account.wechatId;
  }
  get ghId(): string {
    return this.account.ghId;
  }
  get rules(): RulesProfile {
    return this.server.rules;
  }
  get state(): SandboxState {
    return this.account.state;
  }
  get traffic(): SandboxState {
    return this.server.traffic;
  }
  get feed(): SandboxFeed {
    return this.server.feed;
  }

  accountView(appId: string): AccountView | undefined {
    return this.server.viewOf(appId);
  }

  accountsInfo(): Array<{ appId: string; wechatId: string; ghId: string; default: boolean; callback: CallbackInfo | null }> {
    return this.server.accountsInfo();
  }

  callbackInfo(): CallbackInfo | null {
    return callbackInfoOf(this.account);
  }

  reset(): void {
    this.server.reset();
  }

  injectFault(fault: Fault): void {
    this.server.injectFault(fault);
  }

  goOffline(ms: number): Promise<void> {
    return this.server.goOffline(ms);
  }

  messages(openid?: string): SentMessage[] {
    return this.account.state.sent.filter((m) => openid === undefined || m.openid === openid);
  }

  typingEvents(openid?: string): TypingEvent[] {
    return this.account.state.typing.filter((t) => openid === undefined || t.openid === openid);
  }

  kfAccounts(): KfAccountRecord[] {
    return [...this.account.state.kf.values()].map((a) => ({
      kf_account: a.kf_account,
      kf_nick: a.kf_nick,
      kf_id: a.kf_id,
      kf_headimgurl: a.kf_headimgurl,
      ...(a.password !== undefined ? { password: a.password } : {}),
    }));
  }

  user(openid: string): UserSnapshot | undefined {
    return this.account.state.snapshot(openid);
  }

  media(): MediaRecord[] {
    return mediaOf(this.account.state)
      .list()
      .map((m) => ({
        media_id: m.media_id,
        type: m.type,
        format: m.format,
        filename: m.filename,
        size: m.data.length,
        createdAt: m.createdAt,
        origin: m.origin,
      }));
  }

  /** Forgets a media_id early, as WeChat may: sends naming it get 40007 (see MediaStore.forget). */
  forgetMedia(mediaId: string): boolean {
    return mediaOf(this.account.state).forget(mediaId);
  }

  invalidateTokens(): void {
    this.account.tokens.invalidateAll();
  }

  expireTokens(): void {
    this.account.tokens.expireAll();
  }

  configureCallback(cb: CallbackConfig | undefined): void {
    this.account.callback = cb === undefined || cb === null ? undefined : resolveCallback(cb);
  }

  verifyCallback(): Promise<CallbackVerification> {
    return this.server.verifyCallback(this.account);
  }

  simulateUser(openid: string, action: UserAction): Promise<PushResult> {
    return this.server.simulateUserOf(this.account, openid, action);
  }

  pushDeskEvent(event: DeskEvent): Promise<PushResult> {
    return this.server.pushDeskEvent(this.account, event);
  }

  agentWrote(openid: string, content: string, kfAccount: string): void {
    this.server.publishAgentMessage(this.account, openid, content, kfAccount);
  }
}

/** What GET /sandbox and GET /sandbox/callback show of a callback: never its token or key. */
type CallbackInfo = { url: string; mode: string; format: string };

function callbackInfoOf(account: SandboxAccount): CallbackInfo | null {
  const cb = account.callback;
  return cb ? { url: cb.url, mode: cb.mode, format: cb.format } : null;
}

class SandboxServer implements Sandbox {
  readonly rules: RulesProfile;
  readonly feed: SandboxFeed;
  url = '';
  /** Every hosted account by AppID, the first (the default) first. */
  private readonly accounts = new Map<string, SandboxAccount>();
  private readonly first: SandboxAccount;
  private readonly firstView: AccountView;
  private readonly views = new Map<string, AccountView>();
  private readonly now: () => number;
  private readonly quiet: boolean;
  private readonly pushTimeoutMs: number;
  private readonly stateFile?: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly delays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private stopped = false;
  /** When offline (goOffline): the timer that listens again. */
  private backOnline?: NodeJS.Timeout;
  /** Pushes of kf events still under way (see idle()). */
  private readonly pushing = new Set<Promise<unknown>>();
  /** `npm run sandbox` serves the console too: chat, window and log, on the control plane itself. */
  private readonly consoleRoutes: ConsoleRoutes = createConsoleRoutes({ mode: 'sandbox-only', sandboxBase: '/sandbox' });

  constructor(options: SandboxOptions) {
    this.rules = options.rules ?? 'current';
    if (this.rules !== 'current' && this.rules !== 'seed') throw new SandboxUsageError('rules must be current or seed');
    this.now = options.now ?? Date.now;
    const ttl = options.tokenTtlSeconds ?? 7200;
    if (!Number.isInteger(ttl) || ttl < 1) throw new SandboxUsageError('tokenTtlSeconds must be a positive integer');
    this.quiet = options.quiet ?? process.env.JEST_WORKER_ID !== undefined;
    this.pushTimeoutMs = options.pushTimeoutMs ?? 5000;
    this.first = new SandboxAccount(
      options.appId ?? DEFAULT_APP_ID,
      options.appSecret ?? DEFAULT_APP_SECRET,
      options.wechatId ?? 'sandbox',
      SANDBOX_TO_USER_NAME,
      this.rules,
      this.now,
      ttl,
    );
    if (options.customerServiceApi === false) this.first.state.customerServiceApi = false;
    if (options.callback) this.first.callback = resolveCallback(options.callback);
    this.accounts.set(this.first.appId, this.first);
    if (options.accounts !== undefined && !Array.isArray(options.accounts))
      throw new SandboxUsageError('accounts must be an array of {appId, appSecret, ...}');
    (options.accounts ?? []).forEach((extra, i) => {
      const account = extraAccount(extra, i, this.rules, this.now, ttl);
      if (this.accounts.has(account.appId)) throw new SandboxUsageError(`accounts[${i}]: the sandbox already hosts ${account.appId}`);
      this.accounts.set(account.appId, account);
    });
    this.firstView = new AccountView(this, this.first);
    for (const account of this.accounts.values())
      this.views.set(account.appId, account === this.first ? this.firstView : new AccountView(this, account));
    this.feed = new SandboxFeed(this.now);
    this.stateFile = options.stateFile;
    if (this.stateFile) loadSandbox(this.stateFile, [...this.accounts.values()]);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.log(`internal error: ${(error as Error)?.message ?? String(error)}`);
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(200, { 'content-type': WECHAT_JSON });
          res.end(JSON.stringify({ errcode: -1, errmsg: errmsgOf(-1) }));
        }
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  // The first account's identity: what every caller that names no account means.
  get appId(): string {
    return this.first.appId;
  }
  get appSecret(): string {
    return this.first.appSecret;
  }
  get wechatId(): string {
    return this.first.wechatId;
  }
  get ghId(): string {
    return this.first.ghId;
  }
  get appIds(): readonly string[] {
    return [...this.accounts.keys()];
  }
  /** The sandbox's traffic (recorded requests, counts, faults): every account's, kept on the first account's state. */
  get traffic(): SandboxState {
    return this.first.state;
  }

  account(appId: string): SandboxAccountHandle {
    const view = this.viewOf(appId);
    if (!view) throw new SandboxUsageError(`the sandbox hosts no account ${String(appId)} (it hosts ${this.appIds.join(', ')})`);
    return view;
  }

  viewOf(appId: string): AccountView | undefined {
    return this.views.get(appId);
  }

  accountsInfo(): Array<{ appId: string; wechatId: string; ghId: string; default: boolean; callback: CallbackInfo | null }> {
    return [...this.accounts.values()].map((a) => ({
      appId: a.appId,
      wechatId: a.wechatId,
      ghId: a.ghId,
      default: a === this.first,
      callback: callbackInfoOf(a),
    }));
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}`;
  }

  private log(line: string): void {
    if (!this.quiet) console.log(`[sandbox] ${line}`);
  }

  /** How a log line names an account: nothing for the first (as before there were several), `[appId]` for another. */
  private tag(account: SandboxAccount): string {
    return account === this.first ? '' : `[${account.appId}] `;
  }

  /** The query that names an account in a control URL the sandbox hands out (avatars): none for the first. */
  private accountQuery(account: SandboxAccount): string {
    return account === this.first ? '' : `appId=${encodeURIComponent(account.appId)}&`;
  }

  private apiContext(account: SandboxAccount): ApiContext {
    return {
      state: account.state,
      tokens: account.tokens,
      appId: account.appId,
      appSecret: account.appSecret,
      wechatId: account.wechatId,
      now: this.now,
      baseUrl: this.url,
      accountQuery: this.accountQuery(account),
      // After the answer: setImmediate lets the response go out first, as WeChat's events follow its answers.
      pushLater: (events) => {
        for (const event of events) setImmediate(() => void this.pushDeskEvent(account, event));
      },
    };
  }

  /**
   * The account a WeChat API request is answered as: for the token endpoints, the one whose AppID it names;
   * otherwise the one that issued its access token. WeChat knows the account by the token alone, so a token
   * reaches only its own account's users, kf accounts and media. None found: the first account, which
   * refuses it (40013 for an unknown AppID, 40001 for an unknown token) as before there were several.
   */
  private accountFor(path: string, query: Record<string, string>, raw: Buffer): SandboxAccount {
    let appid: unknown;
    if (path === '/cgi-bin/token') appid = query.appid;
    else if (path === '/cgi-bin/stable_token') {
      try {
        appid = (JSON.parse(raw.toString('utf8')) as { appid?: unknown } | null)?.appid;
      } catch {
        appid = undefined;
      }
    } else {
      const token = query.access_token;
      if (token) for (const account of this.accounts.values()) if (account.tokens.issued(token)) return account;
      return this.first;
    }
    return (typeof appid === 'string' ? this.accounts.get(appid) : undefined) ?? this.first;
  }

  /** Keeps the memory on disk, when a state file is configured (persist.ts). */
  private save(): void {
    if (!this.stateFile || this.stopped) return;
    try {
      saveSandbox(this.stateFile, [...this.accounts.values()]);
    } catch (error) {
      this.log(`could not save ${this.stateFile}: ${(error as Error).message}`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.handleRequest(req, res);
    } finally {
      this.save();
    }
  }

  private async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/console' || path.startsWith('/console/')) {
      await this.consoleRoutes.handle(req, res);
      return;
    }
    const raw = await readBody(req);
    if (path === '/sandbox' || path.startsWith('/sandbox/')) {
      await handleControl(this.firstView, req, res, url, raw);
      return;
    }
    if (!isApiPath(path)) {
      const text = JSON.stringify({ error: { code: 'NOT_FOUND', message: `${path} is neither a WeChat API path nor a /sandbox route` } });
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(text);
      return;
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    const contentType = req.headers['content-type'];
    const account = this.accountFor(path, query, raw);
    const record: RecordedRequest = {
      method,
      path,
      query,
      headers: headerRecord(req),
      body: recordedBody(raw, contentType),
      at: this.now(),
    };
    this.traffic.record(record);
    this.traffic.counts.set(path, (this.traffic.counts.get(path) ?? 0) + 1);
    await this.answerApi(account, req, res, record, raw);
    this.publishAnswered(account, record);
  }

  /** Tells the feed what a request did: the request itself, a message or typing accepted, the user's new state. */
  private publishAnswered(account: SandboxAccount, record: RecordedRequest): void {
    const entry = this.feed.publish({ type: 'request', request: record }, this.feedAppId(account));
    const body = record.answer?.body as { errcode?: number } | undefined;
    const ok = record.answer?.status === 200 && body !== undefined && (body.errcode === undefined || body.errcode === 0);
    const openid = entryOpenid(entry);
    if (ok && openid !== undefined) {
      const sent = record.body as Record<string, unknown>;
      if (record.path === '/cgi-bin/message/custom/send') {
        const msgtype = String(sent.msgtype);
        const cs = sent.customservice as { kf_account?: unknown } | undefined;
        this.feed.publish(
          {
            type: 'message',
            openid,
            msgtype,
            body: sent,
            ...(typeof cs?.kf_account === 'string' ? { kf_account: cs.kf_account } : {}),
          },
          this.feedAppId(account),
        );
      } else if (record.path === '/cgi-bin/message/custom/typing') {
        this.feed.publish({ type: 'typing', openid, command: String(sent.command) }, this.feedAppId(account));
      }
    }
    if (openid !== undefined) this.publishUser(account, openid);
  }

  /** The account a feed entry names: none for the first (entries as before there were several), the AppID otherwise. */
  private feedAppId(account: SandboxAccount): string | undefined {
    return account === this.first ? undefined : account.appId;
  }

  private async answerApi(
    account: SandboxAccount,
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    raw: Buffer,
  ): Promise<void> {
    const { method, path, query } = record;
    const contentType = req.headers['content-type'];
    const fault = this.traffic.takeFault(path);
    if (fault) {
      if (fault.kind === 'reset') {
        record.answer = { status: 0, fault: 'reset' };
        this.log(`${method} ${path} → fault: connection reset`);
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'http') {
        const text = `sandbox: injected HTTP ${fault.status}`;
        record.answer = { status: fault.status, body: text, fault: 'http' };
        this.log(`${method} ${path} → fault: HTTP ${fault.status}`);
        res.writeHead(fault.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(text);
        return;
      }
      if (fault.kind === 'errcode') {
        const body = { errcode: fault.errcode, errmsg: fault.errmsg ?? errmsgFor(fault.errcode, req.socket.remoteAddress) };
        record.answer = { status: 200, body, fault: 'errcode' };
        this.log(`${method} ${path} → fault: errcode ${fault.errcode}`);
        this.answer(res, body);
        return;
      }
      await this.sleep(fault.ms);
      if (this.stopped) return;
    }
    const body = handleApi(this.apiContext(account), { method, path, query, raw, contentType });
    // The account that answered, once it did (a refused token or AppID names none).
    const refused = typeof body.errcode === 'number' && (body.errcode === 40001 || body.errcode === 40013 || body.errcode === 41001);
    if (!refused || account !== this.first) record.appId = account.appId;
    if (isFileAnswer(body)) {
      const { data, contentType: type, filename } = body.file;
      record.answer = {
        status: 200,
        body: { file: { contentType: type, filename, size: data.length } },
        ...(fault ? { fault: fault.kind } : {}),
      };
      this.log(`${this.tag(account)}${method} ${path} → file ${type}, ${data.length} bytes`);
      res.writeHead(200, { 'content-type': type, 'content-length': data.length, 'content-disposition': dispositionOf(filename) });
      res.end(data);
      return;
    }
    record.answer = { status: 200, body, ...(fault ? { fault: fault.kind } : {}) };
    this.log(`${this.tag(account)}${method} ${path} → ${typeof body.errcode === 'number' ? `errcode ${body.errcode}` : 'ok'}`);
    this.answer(res, body);
  }

  private answer(res: ServerResponse, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': WECHAT_JSON, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.delays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.delays.add(entry);
    });
  }

  // ----- Sandbox -----------------------------------------------------------------------------------

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const d of this.delays) {
      clearTimeout(d.timer);
      d.resolve();
    }
    this.delays.clear();
    if (this.backOnline) clearTimeout(this.backOnline);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  reset(): void {
    for (const account of this.accounts.values()) {
      account.state.clear();
      account.tokens.reset();
    }
    this.feed.clear();
    this.save();
  }

  count(path: string): number {
    return this.traffic.counts.get(path) ?? 0;
  }

  requests(path?: string): RecordedRequest[] {
    return this.traffic.requestsKept().filter((r) => path === undefined || r.path === path);
  }

  messages(openid?: string): SentMessage[] {
    return this.firstView.messages(openid);
  }

  typingEvents(openid?: string): TypingEvent[] {
    return this.firstView.typingEvents(openid);
  }

  kfAccounts(): KfAccountRecord[] {
    return this.firstView.kfAccounts();
  }

  user(openid: string): UserSnapshot | undefined {
    return this.firstView.user(openid);
  }

  media(): MediaRecord[] {
    return this.firstView.media();
  }

  forgetMedia(mediaId: string): boolean {
    return this.firstView.forgetMedia(mediaId);
  }

  injectFault(fault: Fault): void {
    this.traffic.addFault(validateFault(fault));
  }

  invalidateTokens(): void {
    this.firstView.invalidateTokens();
  }

  expireTokens(): void {
    this.firstView.expireTokens();
  }

  async goOffline(ms: number): Promise<void> {
    if (this.stopped || this.backOnline) throw new SandboxUsageError('the sandbox is stopped or already offline');
    if (!Number.isInteger(ms) || ms < 1) throw new SandboxUsageError('goOffline needs ms, a positive integer');
    const port = Number(new URL(this.url).port);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    // A moment for clients to see their kept-alive connections closed (in this process, the close is
    // handled a few turns of the event loop later): a request must meet a refused connection, not write
    // into a connection that is already gone.
    await new Promise((resolve) => setTimeout(resolve, 25));
    this.log(`offline for ${ms} ms: connections to port ${port} are refused`);
    this.backOnline = setTimeout(() => {
      this.backOnline = undefined;
      if (this.stopped) return;
      this.server.listen(port, '127.0.0.1', () => this.log('online again'));
    }, ms);
  }

  configureCallback(cb: CallbackConfig | undefined): void {
    this.firstView.configureCallback(cb);
  }

  private stamp(): { timestamp: string; nonce: string } {
    return { timestamp: String(Math.floor(this.now() / 1000)), nonce: String(randomInt(100_000_000, 2_000_000_000)) };
  }

  verifyCallback(account: SandboxAccount = this.first): Promise<CallbackVerification> {
    return this.verifyCallbackOf(account);
  }

  private async verifyCallbackOf(account: SandboxAccount): Promise<CallbackVerification> {
    const cb = account.callback;
    if (!cb) throw new SandboxUsageError(`no callback is configured${account === this.first ? '' : ` for ${account.appId}`}`);
    const { timestamp, nonce } = this.stamp();
    const echostr = String(randomInt(1_000_000_000, 2 ** 47)) + String(randomInt(100_000, 999_999));
    const query = new URLSearchParams({ signature: sha1Signature(cb.token, timestamp, nonce), echostr, timestamp, nonce });
    try {
      const res = await fetch(`${cb.url}${cb.url.includes('?') ? '&' : '?'}${query.toString()}`, {
        signal: AbortSignal.timeout(this.pushTimeoutMs),
      });
      const body = (await res.text()).slice(0, 4096);
      return { ok: res.status === 200 && body === echostr, status: res.status, body };
    } catch (error) {
      const name = (error as Error)?.name;
      return {
        ok: false,
        error:
          name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : ((error as { cause?: { code?: string } })?.cause?.code ?? 'error'),
      };
    }
  }

  simulateUser(openid: string, action: UserAction): Promise<PushResult> {
    return this.simulateUserOf(this.first, openid, action);
  }

  async simulateUserOf(account: SandboxAccount, openid: string, action: UserAction): Promise<PushResult> {
    if (typeof openid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(openid))
      throw new SandboxUsageError('openid must be 1-64 characters of [A-Za-z0-9_-]');
    const state = account.state;
    const checked = withUserMedia(state, validateAction(action), this.url);
    await this.flushDesk(account);
    state.recordInteraction(openid, checked);
    const stamp = this.stamp();
    const message = buildPushMessage(checked, openid, {
      toUserName: account.ghId,
      createTime: Number(stamp.timestamp),
      // MsgIds are WeChat-wide: one sequence for every account (the first account's).
      msgId: this.first.state.nextMsgId(),
    });
    // After the MsgId is taken: a restart must not hand the same MsgId to the next message (the product would drop it as a retry).
    this.save();
    const desk = deskOf(state);
    const isMessage = message.MsgType !== 'event';
    const session = isMessage ? desk.session(openid) : undefined;
    if (isMessage)
      desk.record(openid, OPERCODE.kfReceived, recordText(String(message.MsgType), message.Content), session?.kf_account ?? '');
    // While a session is open, the user's messages go to the agent, not to the developer's server.
    if (session) {
      const routed: PushResult = { delivered: false, message, attempts: 0, tries: [], routedTo: session.kf_account };
      this.publishPush(account, openid, checked, routed);
      return routed;
    }
    const cb = account.callback;
    if (!cb) {
      const unpushed: PushResult = { delivered: false, message, attempts: 0, tries: [] };
      this.publishPush(account, openid, checked, unpushed);
      return unpushed;
    }
    const request = renderPush(message, cb, account.appId, stamp);
    const result = await deliverPush(request, this.pushTimeoutMs);
    this.log(
      `${this.tag(account)}push ${String(message.MsgType)}${message.Event ? `/${String(message.Event)}` : ''} → ${result.delivered ? 'delivered' : 'not delivered'} after ${result.tries.length} tries`,
    );
    const reply = result.delivered ? readReply(result.body, cb, account.appId, openid, account.ghId) : {};
    if (isMessage && reply.MsgType === 'transfer_customer_service') {
      const info = reply.fields?.TransInfo as Record<string, unknown> | undefined;
      const named = typeof info?.KfAccount === 'string' && info.KfAccount !== '' ? info.KfAccount : undefined;
      desk.enqueue(openid, named);
      this.log(`${this.tag(account)}transfer_customer_service → ${openid} waits${named ? ` for ${named}` : ''}`);
    }
    // A passive reply reaches the user like any message (passive.ts): GET /sandbox/messages lists it (the
    // console's phone draws it from the push's result, published below).
    const shown = reply.fields && reply.MsgType ? passiveMessage(reply.fields) : undefined;
    if (shown) {
      state.sent.push({ openid, msgtype: shown.msgtype, body: shown.body, at: this.now(), channel: 'passive' });
      this.log(`${this.tag(account)}passive reply ${shown.msgtype} → ${openid}`);
    }
    const pushed: PushResult = {
      delivered: result.delivered,
      ...(result.status !== undefined ? { status: result.status, body: result.body } : {}),
      message,
      attempts: result.tries.length,
      tries: result.tries,
      ...(reply.MsgType || reply.problem ? { reply } : {}),
    };
    this.publishPush(account, openid, checked, pushed);
    return pushed;
  }

  private publishPush(account: SandboxAccount, openid: string, action: UserAction, result: PushResult): void {
    this.feed.publish({ type: 'push', openid, action, result }, this.feedAppId(account));
    this.publishUser(account, openid);
  }

  /** A user's state for the feed: WeChat's window, and the desk's session or waiting place. */
  private publishUser(account: SandboxAccount, openid: string): void {
    const user = account.state.snapshot(openid);
    if (!user) return;
    const desk = deskOf(account.state);
    const session = desk.session(openid);
    const waiting = desk.waiting.get(openid);
    this.feed.publish(
      {
        type: 'user',
        openid,
        user,
        desk: {
          ...(session ? { session: { kf_account: session.kf_account } } : {}),
          waiting: waiting ? { kf_account: waiting.kf_account } : null,
        },
      },
      this.feedAppId(account),
    );
  }

  /** An agent's message to a user in a session (desk control), shown on the user's phone like any message. */
  publishAgentMessage(account: SandboxAccount, openid: string, content: string, kfAccount: string): void {
    this.feed.publish(
      {
        type: 'message',
        openid,
        msgtype: 'text',
        body: { touser: openid, msgtype: 'text', text: { content } },
        kf_account: kfAccount,
        agent: true,
      },
      this.feedAppId(account),
    );
    this.publishUser(account, openid);
  }

  /** Pushes a kf event (kf_create_session, kf_close_session, kf_switch_session) to the account's callback. */
  async pushDeskEvent(account: SandboxAccount, event: DeskEvent): Promise<PushResult> {
    const result = await this.deliverDeskEvent(account, event);
    const fields = event.fields as Record<string, unknown>;
    const kf = fields.ToKfAccount ?? fields.KfAccount;
    this.feed.publish(
      {
        type: 'desk',
        openid: event.openid,
        event: String(fields.Event),
        ...(typeof kf === 'string' ? { kf_account: kf } : {}),
        result,
      },
      this.feedAppId(account),
    );
    this.publishUser(account, event.openid);
    return result;
  }

  private async deliverDeskEvent(account: SandboxAccount, event: DeskEvent): Promise<PushResult> {
    const stamp = this.stamp();
    const message = {
      ToUserName: account.ghId,
      FromUserName: event.openid,
      CreateTime: Number(stamp.timestamp),
      MsgType: 'event',
      ...event.fields,
    };
    const cb = account.callback;
    if (!cb || this.stopped) return { delivered: false, message, attempts: 0, tries: [] };
    const pending = deliverPush(renderPush(message, cb, account.appId, stamp), this.pushTimeoutMs);
    this.pushing.add(pending);
    try {
      const result = await pending;
      this.log(
        `${this.tag(account)}push event/${event.fields.Event} → ${result.delivered ? 'delivered' : 'not delivered'} after ${result.tries.length} tries`,
      );
      return {
        delivered: result.delivered,
        ...(result.status !== undefined ? { status: result.status, body: result.body } : {}),
        message,
        attempts: result.tries.length,
        tries: result.tries,
      };
    } finally {
      this.pushing.delete(pending);
    }
  }

  /** Pushes the close events of sessions found idle for 30 minutes. */
  private async flushDesk(account: SandboxAccount): Promise<void> {
    deskOf(account.state).expireIdle();
    for (const event of deskOf(account.state).takePendingEvents()) await this.pushDeskEvent(account, event);
  }

  async idle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pushing.size > 0) await Promise.allSettled([...this.pushing]);
  }
}

/**
 * Starts a WeChat stand-in on 127.0.0.1.
 *
 * @throws {SandboxUsageError} on bad options (rules, tokenTtlSeconds, callback).
 *
 * @example
 * ```ts
 * const sandbox = await startSandbox({ port: 0, quiet: true });
 * const res = await fetch(`${sandbox.url}/cgi-bin/token?grant_type=client_credential&appid=${sandbox.appId}&secret=${sandbox.appSecret}`);
 * await sandbox.stop();
 * ```
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = new SandboxServer(options);
  await sandbox.listen(options.port ?? 0);
  return sandbox;
}
