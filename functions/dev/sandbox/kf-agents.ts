/**
 * Agents of the sandbox's customer-service desk: who is online (`getonlinekflist`) and inviting a WeChat
 * user to bind a kf account (`kfaccount/inviteworker`), with the invitation shown in `getkflist` as
 * `invite_wx`, `invite_expire_time` and `invite_status` (waiting / rejected / expired) until accepted,
 * then as `kf_wx`. The invited user's answer and an agent's login come from the control plane
 * (desk-control.ts), as they happen in the WeChat client.
 *
 * Errcodes (docs/wechat-reference.md): 65401 no such kf account, 65407 that WeChat user is already a kf of
 * this account, 65408 already invited by another account, 65409 invalid WeChat ID, 65411 an invitation of
 * this account is pending, 65412 the account is already bound. 65410 (bound to too many official accounts)
 * concerns other official accounts the sandbox does not have: inject it as a fault.
 */
import { jsonBody, OK, type Handler, type Json, type Route } from './route';
import type { ApiContext } from './route';
import { deskOf, INVITE_TTL_MS } from './desk';
import { WeChatRefusalError } from './errcodes';

/** A WeChat ID (微信号): 6-20 characters, a letter first, then letters, digits, _ or -. */
export const WECHAT_ID = /^[A-Za-z][A-Za-z0-9_-]{5,19}$/;

/** A kf account that exists, else 65401 (the desk APIs' "invalid kf account"). */
export function existingKfAccount(ctx: ApiContext, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new WeChatRefusalError(65401, 'kf_account is required');
  if (!ctx.state.kf.has(value)) throw new WeChatRefusalError(65401, `no kf account ${value}`);
  return value;
}

/** The fields getkflist adds for a bound account (`kf_wx`) or one with an invitation. */
export function kfListExtras(ctx: ApiContext, kfAccount: string): Json {
  if (!deskOf(ctx.state).agents.has(kfAccount)) return {};
  const agent = deskOf(ctx.state).agent(kfAccount);
  if (agent.kf_wx) return { kf_wx: agent.kf_wx };
  const invite = agent.invitation;
  if (!invite) return {};
  return { invite_wx: invite.invite_wx, invite_expire_time: Math.floor(invite.expiresAt / 1000), invite_status: invite.status };
}

const getOnlineKfList: Handler = (ctx) => {
  const desk = deskOf(ctx.state);
  const list: Json[] = [];
  for (const account of ctx.state.kf.values()) {
    if (!desk.agents.has(account.kf_account)) continue;
    const agent = desk.agent(account.kf_account);
    if (agent.status === 0) continue;
    list.push({
      kf_account: account.kf_account,
      status: agent.status,
      kf_id: account.kf_id,
      accepted_case: desk.sessionsOf(account.kf_account).length,
    });
  }
  return { kf_online_list: list };
};

const inviteWorker: Handler = (ctx, req) => {
  const body = jsonBody(req);
  const account = existingKfAccount(ctx, body.kf_account);
  const wx = body.invite_wx;
  if (typeof wx !== 'string' || !WECHAT_ID.test(wx))
    throw new WeChatRefusalError(65409, 'invite_wx must be a WeChat ID: 6-20 letters, digits, _ or -, a letter first');
  const desk = deskOf(ctx.state);
  const agent = desk.agent(account);
  if (agent.kf_wx) throw new WeChatRefusalError(65412, `${account} is already bound to a WeChat user`);
  if (agent.invitation?.status === 'waiting') throw new WeChatRefusalError(65411, `${account} has an invitation waiting for an answer`);
  const use = desk.wxUse(wx);
  if (use.bound) throw new WeChatRefusalError(65407, `${wx} is already the kf ${use.bound}`);
  if (use.invitedBy) throw new WeChatRefusalError(65408, `${wx} is already invited by ${use.invitedBy}`);
  agent.invitation = { invite_wx: wx, expiresAt: ctx.now() + INVITE_TTL_MS, status: 'waiting' };
  return OK;
};

/** The routes of this area. */
export const KF_AGENT_ROUTES: Readonly<Record<string, Route>> = {
  '/cgi-bin/customservice/getonlinekflist': { methods: ['GET'], auth: true, handler: getOnlineKfList },
  '/customservice/kfaccount/inviteworker': { methods: ['POST'], auth: true, handler: inviteWorker },
};
