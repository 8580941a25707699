/**
 * Sessions of the sandbox's customer-service desk: `kfsession/create`, `/close`, `/getsession`,
 * `/getsessionlist` and `/getwaitcase`. Creating and closing push `kf_create_session` /
 * `kf_close_session` to the developer's server after the answer, as WeChat does.
 *
 * Rules and errcodes (docs/wechat-reference.md, "Passive replies and handing a user to a human"):
 * - create {kf_account, openid}: 65401 no such kf account, 65402 the account is not bound to a WeChat user,
 *   65415 the kf is not online, 40003 an openid the account has never seen, 65413 the user has not
 *   interacted within the last 48 h (chosen: the reference names no code for it, and 65413 "no session for
 *   this user" is the desk's word for a user it cannot serve), 65414 another kf is serving the user.
 *   Creating the session the user already has with that same kf is answered ok and changes nothing.
 * - close {kf_account, openid}: 65413 the user has no session, 65414 another kf is serving them.
 * - getsession ?openid=: {createtime, kf_account}; 65413 without a session.
 * - getsessionlist ?kf_account=: {sessionlist: [{createtime, openid}]}.
 * - getwaitcase: {count, waitcaselist: [{latest_time, openid}]}, at most 100 listed, count in full.
 */
import { jsonBody, OK, type Handler, type Route } from './route';
import type { ApiContext } from './route';
import { deskOf, MAX_WAITCASE_LISTED, SESSION_INTERACTION_MS } from './desk';
import { WeChatRefusalError } from './errcodes';
import { existingKfAccount } from './kf-agents';

function knownOpenid(ctx: ApiContext, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new WeChatRefusalError(40003, 'openid is required');
  if (!ctx.state.users.has(value)) throw new WeChatRefusalError(40003, 'no user with this openid has interacted with the official account');
  return value;
}

/** Answers, and pushes the kf events found meanwhile (idle sessions that closed). */
function flushIdle(ctx: ApiContext): void {
  deskOf(ctx.state).expireIdle();
  ctx.pushLater(deskOf(ctx.state).takePendingEvents());
}

const create: Handler = (ctx, req) => {
  const body = jsonBody(req);
  flushIdle(ctx);
  const account = existingKfAccount(ctx, body.kf_account);
  const openid = knownOpenid(ctx, body.openid);
  const desk = deskOf(ctx.state);
  const agent = desk.agent(account);
  if (!agent.kf_wx)
    throw new WeChatRefusalError(65402, `${account} is not bound to a WeChat user: invite one first (kfaccount/inviteworker)`);
  if (agent.status === 0) throw new WeChatRefusalError(65415, `${account} is not online`);
  const user = ctx.state.users.get(openid)!;
  if (!user.following || !user.window || ctx.now() - user.window.openedAt >= SESSION_INTERACTION_MS) {
    throw new WeChatRefusalError(65413, 'the user has not interacted with the official account in the last 48 hours');
  }
  const current = desk.session(openid);
  if (current && current.kf_account !== account) throw new WeChatRefusalError(65414, `the user is being served by ${current.kf_account}`);
  if (current) return OK;
  ctx.pushLater([desk.openSession(openid, account)]);
  return OK;
};

const close: Handler = (ctx, req) => {
  const body = jsonBody(req);
  flushIdle(ctx);
  const account = existingKfAccount(ctx, body.kf_account);
  const openid = knownOpenid(ctx, body.openid);
  const desk = deskOf(ctx.state);
  const current = desk.session(openid);
  if (!current) throw new WeChatRefusalError(65413, 'the user has no open session');
  if (current.kf_account !== account) throw new WeChatRefusalError(65414, `the user is being served by ${current.kf_account}`);
  const event = desk.closeSession(openid, 'api');
  if (event) ctx.pushLater([event]);
  return OK;
};

const getSession: Handler = (ctx, req) => {
  flushIdle(ctx);
  const openid = knownOpenid(ctx, req.query.openid);
  const current = deskOf(ctx.state).session(openid);
  if (!current) throw new WeChatRefusalError(65413, 'the user has no open session');
  return { createtime: Math.floor(current.createdAt / 1000), kf_account: current.kf_account };
};

const getSessionList: Handler = (ctx, req) => {
  flushIdle(ctx);
  const account = existingKfAccount(ctx, req.query.kf_account);
  return {
    sessionlist: deskOf(ctx.state)
      .sessionsOf(account)
      .map((s) => ({ createtime: Math.floor(s.createdAt / 1000), openid: s.openid })),
  };
};

const getWaitCase: Handler = (ctx) => {
  flushIdle(ctx);
  const waiting = [...deskOf(ctx.state).waiting.values()].sort((a, b) => a.latestAt - b.latestAt);
  return {
    count: waiting.length,
    waitcaselist: waiting.slice(0, MAX_WAITCASE_LISTED).map((w) => ({ latest_time: Math.floor(w.latestAt / 1000), openid: w.openid })),
  };
};

/** The routes of this area. */
export const KF_SESSION_ROUTES: Readonly<Record<string, Route>> = {
  '/customservice/kfsession/create': { methods: ['POST'], auth: true, handler: create },
  '/customservice/kfsession/close': { methods: ['POST'], auth: true, handler: close },
  '/customservice/kfsession/getsession': { methods: ['GET'], auth: true, handler: getSession },
  '/customservice/kfsession/getsessionlist': { methods: ['GET'], auth: true, handler: getSessionList },
  '/customservice/kfsession/getwaitcase': { methods: ['GET'], auth: true, handler: getWaitCase },
};
