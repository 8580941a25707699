/**
 * WeChat's API as the sandbox answers it: token endpoints, kf accounts, custom/send and typing, plus
 * each other area's routes (users.ts: user info, follower list, tags), registered at the end of ROUTES.
 * Every answer is HTTP 200 with JSON; a refusal is `{errcode, errmsg}`. Actions answer
 * `{errcode: 0, errmsg: "ok"}`; data endpoints answer their data alone, as WeChat does
 * (`{access_token, expires_in}`, `{kf_list}`, `{kf_online_list}`).
 *
 * Where docs/wechat-reference.md is silent the sandbox picks WeChat's own global code for the case; see
 * errcodes.ts. Validation order of custom/send: body (44002 empty, 47001 not JSON), msgtype (40008),
 * touser (40003), payload (40035; 45008 for news over 1 article; 45002 for text over 2 048 bytes), customservice.kf_account (61452),
 * media_ids (40007: never issued, expired or of the wrong kind; media.ts), then the send window (45015 / 45047).
 */
import { WeChatRefusalError } from './errcodes';
import { checkSendMedia, MEDIA_ROUTES } from './media';
import { parseMultipart } from './multipart';
import { isCustomerServiceApi } from './passive';
import { sendVerdict, typingVerdict, TYPING_RULES } from './rules';
import type { SentMessage } from './types';
import { jsonBody, OK, type ApiContext, type ApiRequest, type Handler, type Json, type Route } from './route';
import { USER_ROUTES } from './users';
import { pushKept } from './kept-tail';
import { MAX_RECORDED } from './state';
import { deskOf, OPERCODE, recordText } from './desk';
import { KF_AGENT_ROUTES, kfListExtras } from './kf-agents';
import { KF_SESSION_ROUTES } from './kf-sessions';
import { MSG_RECORD_ROUTES } from './msg-records';

export type { ApiContext, ApiRequest } from './route';

/** Kf accounts an official account may have. */
export const MAX_KF_ACCOUNTS = 100;
/** Largest avatar, bytes. */
export const MAX_AVATAR_BYTES = 5 * 1024 * 1024;
/** Bytes of UTF-8 a text message's content may have before WeChat answers 45002 ("content size out of limit"). */
export const MAX_TEXT_BYTES = 2048;
/** Articles a news message may carry today. */
export const MAX_NEWS_ARTICLES = 1;

/** Whether a path belongs to WeChat's API space (answered with errcodes, never HTTP 404). */
export function isApiPath(path: string): boolean {
  return path.startsWith('/cgi-bin/') || path.startsWith('/customservice/') || path.startsWith('/sns/') || path.startsWith('/wxa/');
}

// ---------------------------------------------------------------------------------------------------
// Tokens

function checkCredentials(ctx: ApiContext, grantType: unknown, appid: unknown, secret: unknown): void {
  if (grantType !== 'client_credential') throw new WeChatRefusalError(40002, 'grant_type must be client_credential');
  if (appid === undefined || appid === '') throw new WeChatRefusalError(41002);
  if (appid !== ctx.appId) throw new WeChatRefusalError(40013);
  if (secret === undefined || secret === '') throw new WeChatRefusalError(41004);
  if (secret !== ctx.appSecret) throw new WeChatRefusalError(40125);
}

const token: Handler = (ctx, req) => {
  checkCredentials(ctx, req.query.grant_type, req.query.appid, req.query.secret);
  return ctx.tokens.issueClassic();
};

const stableToken: Handler = (ctx, req) => {
  const body = jsonBody(req);
  checkCredentials(ctx, body.grant_type, body.appid, body.secret);
  if (body.force_refresh !== undefined && typeof body.force_refresh !== 'boolean')
    throw new WeChatRefusalError(40035, 'force_refresh must be a boolean');
  return ctx.tokens.issueStable(body.force_refresh === true);
};

// ---------------------------------------------------------------------------------------------------
// Kf accounts

/**
 * Checks a kf_account: prefix of 1-10 [A-Za-z0-9_] (61454 too long, 61455 bad character), '@', the
 * official account's WeChat ID (61452), 30 characters in all (61452). Missing: 61451.
 */
function checkKfAccount(ctx: ApiContext, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new WeChatRefusalError(61451, 'kf_account is required');
  const at = value.indexOf('@');
  if (at < 0) throw new WeChatRefusalError(61452, 'kf_account must be prefix@wechatid');
  const prefix = value.slice(0, at);
  const suffix = value.slice(at + 1);
  if (prefix.length === 0) throw new WeChatRefusalError(61452, 'the prefix of kf_account is empty');
  if (prefix.length > 10) throw new WeChatRefusalError(61454, 'the prefix of kf_account may have at most 10 characters');
  if (!/^[A-Za-z0-9_]+$/.test(prefix)) throw new WeChatRefusalError(61455, 'the prefix of kf_account may hold only letters, digits and _');
  if (suffix !== ctx.wechatId) throw new WeChatRefusalError(61452, "kf_account must end with @ and the official account's WeChat ID");
  if (value.length > 30) throw new WeChatRefusalError(61452, 'kf_account may have at most 30 characters');
  return value;
}

function checkNickAndPassword(body: Json): { nickname: string; password?: string } {
  const nickname = body.nickname;
  if (typeof nickname !== 'string' || nickname === '') throw new WeChatRefusalError(61451, 'nickname is required');
  if ([...nickname].length > 16) throw new WeChatRefusalError(61451, 'nickname may have at most 16 characters');
  const password = body.password;
  if (password !== undefined && (typeof password !== 'string' || !/^[0-9a-fA-F]{32}$/.test(password))) {
    throw new WeChatRefusalError(61451, 'password must be the 32-hex MD5 of the plain password');
  }
  return { nickname, ...(password !== undefined ? { password: password as string } : {}) };
}

const kfAdd: Handler = (ctx, req) => {
  const body = jsonBody(req);
  const account = checkKfAccount(ctx, body.kf_account);
  const { nickname, password } = checkNickAndPassword(body);
  if (ctx.state.kf.has(account)) throw new WeChatRefusalError(61453);
  if (ctx.state.kf.size >= MAX_KF_ACCOUNTS) throw new WeChatRefusalError(61456, `at most ${MAX_KF_ACCOUNTS} kf accounts`);
  ctx.state.kf.set(account, {
    kf_account: account,
    kf_nick: nickname,
    kf_id: String(ctx.state.nextKfId++),
    kf_headimgurl: '',
    ...(password !== undefined ? { password } : {}),
  });
  return OK;
};

const kfUpdate: Handler = (ctx, req) => {
  const body = jsonBody(req);
  const account = checkKfAccount(ctx, body.kf_account);
  const { nickname, password } = checkNickAndPassword(body);
  const existing = ctx.state.kf.get(account);
  if (!existing) throw new WeChatRefusalError(61452, 'no such kf account');
  existing.kf_nick = nickname;
  if (password !== undefined) existing.password = password;
  return OK;
};

const kfDelete: Handler = (ctx, req) => {
  const value = req.method === 'GET' || req.raw.length === 0 ? req.query.kf_account : jsonBody(req).kf_account;
  const account = checkKfAccount(ctx, value);
  if (!ctx.state.kf.delete(account)) throw new WeChatRefusalError(61452, 'no such kf account');
  deskOf(ctx.state).forgetAccount(account);
  return OK;
};

const kfUploadHeadImg: Handler = (ctx, req) => {
  const account = checkKfAccount(ctx, req.query.kf_account);
  const existing = ctx.state.kf.get(account);
  if (!existing) throw new WeChatRefusalError(61452, 'no such kf account');
  const parts = parseMultipart(req.raw, req.contentType);
  if (!parts) throw new WeChatRefusalError(41005, 'the body must be multipart/form-data with a file field media');
  const media = parts.find((p) => p.name === 'media');
  if (!media || media.data.length === 0) throw new WeChatRefusalError(41005, 'no file field media');
  if (media.data.length > MAX_AVATAR_BYTES) throw new WeChatRefusalError(61457, 'the avatar may have at most 5 MB');
  if (!(media.data[0] === 0xff && media.data[1] === 0xd8 && media.data[2] === 0xff))
    throw new WeChatRefusalError(40005, 'the avatar must be a JPG image');
  existing.avatar = Buffer.from(media.data);
  existing.kf_headimgurl = `${ctx.baseUrl}/sandbox/kf-avatars/${existing.kf_id}.jpg?${ctx.accountQuery}v=${ctx.now()}`;
  return OK;
};

const getKfList: Handler = (ctx) => ({
  kf_list: [...ctx.state.kf.values()].map((a) => ({
    kf_account: a.kf_account,
    kf_nick: a.kf_nick,
    kf_id: a.kf_id,
    kf_headimgurl: a.kf_headimgurl,
    ...kfListExtras(ctx, a.kf_account),
  })),
});

// ---------------------------------------------------------------------------------------------------
// custom/send

function isText(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function requireObject(body: Json, key: string): Json {
  const v = body[key];
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new WeChatRefusalError(40035, `${key} must be an object`);
  return v as Json;
}

function requireFields(o: Json, where: string, required: readonly string[], optional: readonly string[] = []): void {
  for (const f of required) if (!isText(o[f])) throw new WeChatRefusalError(40035, `${where}.${f} is required (a non-empty string)`);
  for (const f of optional)
    if (o[f] !== undefined && typeof o[f] !== 'string') throw new WeChatRefusalError(40035, `${where}.${f} must be a string`);
}

/** The payload rules of each msgtype, from the reference. */
const PAYLOADS: Readonly<Record<string, (p: Json) => void>> = {
  text: (p) => {
    requireFields(p, 'text', ['content']);
    // The reference: WeChat documents no cap, but answers 45002 from about 2 048 bytes of UTF-8 content.
    const bytes = Buffer.byteLength(p.content as string, 'utf8');
    if (bytes > MAX_TEXT_BYTES) throw new WeChatRefusalError(45002, `text.content is ${bytes} bytes of UTF-8; at most ${MAX_TEXT_BYTES}`);
  },
  image: (p) => requireFields(p, 'image', ['media_id']),
  voice: (p) => requireFields(p, 'voice', ['media_id']),
  video: (p) => requireFields(p, 'video', ['media_id', 'thumb_media_id'], ['title', 'description']),
  music: (p) => requireFields(p, 'music', ['musicurl', 'hqmusicurl', 'thumb_media_id'], ['title', 'description']),
  news: (p) => {
    const articles = p.articles;
    if (!Array.isArray(articles) || articles.length === 0) throw new WeChatRefusalError(40035, 'news.articles must be a non-empty array');
    if (articles.length > MAX_NEWS_ARTICLES) throw new WeChatRefusalError(45008, `news may carry ${MAX_NEWS_ARTICLES} article`);
    articles.forEach((a, i) => {
      if (!a || typeof a !== 'object' || Array.isArray(a)) throw new WeChatRefusalError(40035, `news.articles.${i} must be an object`);
      requireFields(a as Json, `news.articles.${i}`, [], ['title', 'description', 'url', 'picurl']);
    });
  },
  mpnews: (p) => requireFields(p, 'mpnews', ['media_id']),
  mpnewsarticle: (p) => requireFields(p, 'mpnewsarticle', ['article_id']),
  msgmenu: (p) => {
    requireFields(p, 'msgmenu', [], ['head_content', 'tail_content']);
    const list = p.list;
    if (!Array.isArray(list) || list.length === 0) throw new WeChatRefusalError(40035, 'msgmenu.list must be a non-empty array');
    list.forEach((item, i) => {
      if (!item || typeof item !== 'object' || Array.isArray(item))
        throw new WeChatRefusalError(40035, `msgmenu.list.${i} must be an object {id, content}`);
      requireFields(item as Json, `msgmenu.list.${i}`, ['id', 'content']);
    });
  },
  wxcard: (p) => requireFields(p, 'wxcard', ['card_id'], ['card_ext']),
  miniprogrampage: (p) => requireFields(p, 'miniprogrampage', ['title', 'appid', 'pagepath', 'thumb_media_id']),
};

/** The message types custom/send accepts. */
export const MSGTYPES: readonly string[] = Object.keys(PAYLOADS);

function knownUser(ctx: ApiContext, touser: unknown) {
  if (typeof touser !== 'string' || touser === '') throw new WeChatRefusalError(40003, 'touser is required');
  const user = ctx.state.users.get(touser);
  if (!user) throw new WeChatRefusalError(40003, 'no user with this openid has interacted with the official account');
  return user;
}

const customSend: Handler = (ctx, req) => {
  const body = jsonBody(req);
  const msgtype = body.msgtype;
  if (typeof msgtype !== 'string' || !Object.prototype.hasOwnProperty.call(PAYLOADS, msgtype)) throw new WeChatRefusalError(40008);
  const user = knownUser(ctx, body.touser);
  const payload = requireObject(body, msgtype);
  (PAYLOADS[msgtype] as (p: Json) => void)(payload);
  checkSendMedia(ctx, msgtype, payload);
  // The AI label (docs/wechat-reference.md): `aimsgcontext: {is_ai_msg: 0 | 1}`; 1 draws 内容由第三方AI生成
  // under the message. Anything else in is_ai_msg is an invalid argument.
  let aiLabel = false;
  if (body.aimsgcontext !== undefined) {
    const ai = body.aimsgcontext;
    if (!ai || typeof ai !== 'object' || Array.isArray(ai)) {
      throw new WeChatRefusalError(40035, 'aimsgcontext must be an object {"is_ai_msg": 0 or 1}');
    }
    const isAi = (ai as Json).is_ai_msg;
    if (isAi !== undefined && isAi !== 0 && isAi !== 1) throw new WeChatRefusalError(40035, 'aimsgcontext.is_ai_msg must be 0 or 1');
    aiLabel = isAi === 1;
  }
  let kfAccount: string | undefined;
  if (body.customservice !== undefined) {
    const cs = body.customservice;
    if (!cs || typeof cs !== 'object' || Array.isArray(cs))
      throw new WeChatRefusalError(40035, 'customservice must be an object {kf_account}');
    const value = (cs as Json).kf_account;
    if (value !== undefined) {
      if (typeof value !== 'string' || !ctx.state.kf.has(value))
        throw new WeChatRefusalError(61452, 'customservice.kf_account is not an existing kf account');
      kfAccount = value;
    }
  }
  const now = ctx.now();
  const verdict = sendVerdict(user, ctx.state.rules, now);
  if (!verdict.ok) throw new WeChatRefusalError(verdict.errcode, verdict.detail);
  if (user.window) user.window.sends++;
  user.lastExchangeAt = now;
  user.typingUntil = undefined;
  const sender = kfAccount !== undefined ? { kf_account: kfAccount } : {};
  const message: SentMessage = { openid: user.openid, msgtype, ...sender, ...(aiLabel ? { aiLabel } : {}), body, at: now };
  pushKept(ctx.state.sent, message, MAX_RECORDED);
  const desk = deskOf(ctx.state);
  const content = msgtype === 'text' ? (body.text as Json).content : undefined;
  desk.record(user.openid, OPERCODE.kfSent, recordText(msgtype, content), kfAccount ?? desk.session(user.openid)?.kf_account ?? '');
  return OK;
};

const customTyping: Handler = (ctx, req) => {
  const body = jsonBody(req);
  const user = knownUser(ctx, body.touser);
  const command = body.command;
  if (command !== 'Typing' && command !== 'CancelTyping') throw new WeChatRefusalError(45072, 'command must be Typing or CancelTyping');
  const now = ctx.now();
  if (command === 'Typing') {
    const verdict = typingVerdict(user, ctx.state.rules, now);
    if (!verdict.ok) throw new WeChatRefusalError(verdict.errcode, verdict.detail);
    user.typingUntil = now + TYPING_RULES.durationMs;
  } else {
    user.typingUntil = undefined;
  }
  pushKept(ctx.state.typing, { openid: user.openid, command, at: now }, MAX_RECORDED);
  return OK;
};

// ---------------------------------------------------------------------------------------------------

const ROUTES: Readonly<Record<string, Route>> = {
  '/cgi-bin/token': { methods: ['GET'], auth: false, handler: token },
  '/cgi-bin/stable_token': { methods: ['POST'], auth: false, handler: stableToken },
  '/customservice/kfaccount/add': { methods: ['POST'], auth: true, handler: kfAdd },
  '/customservice/kfaccount/update': { methods: ['POST'], auth: true, handler: kfUpdate },
  '/customservice/kfaccount/del': { methods: ['GET', 'POST'], auth: true, handler: kfDelete },
  '/customservice/kfaccount/uploadheadimg': { methods: ['POST'], auth: true, handler: kfUploadHeadImg },
  '/cgi-bin/customservice/getkflist': { methods: ['GET'], auth: true, handler: getKfList },
  '/cgi-bin/message/custom/send': { methods: ['POST'], auth: true, handler: customSend },
  '/cgi-bin/message/custom/typing': { methods: ['POST'], auth: true, handler: customTyping },
  ...USER_ROUTES,
  ...KF_AGENT_ROUTES,
  ...KF_SESSION_ROUTES,
  ...MSG_RECORD_ROUTES,
  ...MEDIA_ROUTES,
};

/** The API paths the sandbox implements. */
export const API_PATHS: readonly string[] = Object.keys(ROUTES);

/**
 * Answers one API request (a bug in the sandbox is thrown; the server answers it with -1): unknown path 40066, then access_token (41001 / 40001 / 42001), then method
 * (43001 / 43002), then the operation's own rules.
 */
export function handleApi(ctx: ApiContext, req: ApiRequest): Json {
  try {
    const route = Object.prototype.hasOwnProperty.call(ROUTES, req.path) ? ROUTES[req.path] : undefined;
    if (!route) throw new WeChatRefusalError(40066, `the sandbox does not implement ${req.path}`);
    if (route.auth) ctx.tokens.check(req.query.access_token);
    // An account without the customer-service API (passive.ts): WeChat refuses every call of it.
    if (!ctx.state.customerServiceApi && isCustomerServiceApi(req.path)) throw new WeChatRefusalError(48001);
    if (!route.methods.includes(req.method)) throw new WeChatRefusalError(route.methods.includes('GET') ? 43001 : 43002);
    return route.handler(ctx, req);
  } catch (error) {
    if (error instanceof WeChatRefusalError) return { errcode: error.errcode, errmsg: error.errmsg };
    throw error;
  }
}
