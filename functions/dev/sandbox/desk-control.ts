/**
 * The control plane of the customer-service desk: what agents and invited WeChat users do in WeChat's own
 * clients, which no API can do. Routes (under the sandbox's own server):
 *
 * | route | what |
 * | --- | --- |
 * | GET /sandbox/desk | agents (binding, invitation, status), sessions, the waiting list, records count |
 * | POST /sandbox/kf-accounts/{kf_account}/invitation `{"answer": "accept" \| "reject"}` | the invited WeChat user answers |
 * | PUT /sandbox/kf-accounts/{kf_account}/status `{"status": 0-3}` | the agent logs in (1 web, 2 mobile, 3 both) or out (0) |
 * | POST /sandbox/kf-accounts/{kf_account}/accept `{"openid"?}` | the agent takes a waiting user (the longest waiting by default); pushes kf_create_session |
 * | POST /sandbox/kf-accounts/{kf_account}/messages `{"openid", "content"}` | the agent writes to the user in the session (a 2002 record) |
 * | POST /sandbox/kf-accounts/{kf_account}/transfer `{"openid", "to"}` | the agent hands the session to another; pushes kf_switch_session |
 * | POST /sandbox/kf-accounts/{kf_account}/close `{"openid"}` | the agent ends the session; pushes kf_close_session |
 *
 * Misuse answers 400 `{"error": {"code": "INVALID_INPUT", "message"}}`.
 */
import type { ServerResponse } from 'node:http';
import { deskOf, OPERCODE, type DeskEvent } from './desk';
import { SandboxUsageError } from './errcodes';
import type { SandboxState } from './state';
import type { PushResult } from './types';

/** What the desk's control routes drive. */
export interface DeskControlTarget {
  readonly state: SandboxState;
  pushDeskEvent(event: DeskEvent): Promise<PushResult>;
  /** Shows an agent's message on the user's phone (the feed). */
  agentWrote(openid: string, content: string, kfAccount: string): void;
}

/** The desk's control routes, as GET /sandbox lists them. */
export const DESK_CONTROL_ROUTES: readonly string[] = [
  'GET /sandbox/desk',
  'POST /sandbox/kf-accounts/{kf_account}/invitation {"answer":"accept"|"reject"}',
  'PUT /sandbox/kf-accounts/{kf_account}/status {"status":0|1|2|3}',
  'POST /sandbox/kf-accounts/{kf_account}/accept {"openid"?}',
  'POST /sandbox/kf-accounts/{kf_account}/messages {"openid","content"}',
  'POST /sandbox/kf-accounts/{kf_account}/transfer {"openid","to"}',
  'POST /sandbox/kf-accounts/{kf_account}/close {"openid"}',
];

/** Whether a control path is the desk's. */
export function isDeskControlPath(path: string): boolean {
  return path === '/sandbox/desk' || /^\/sandbox\/kf-accounts\/[^/]+\/[a-z]+$/.test(path);
}

function text(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || v === '') throw new SandboxUsageError(`give "${name}" (a non-empty string)`);
  return v;
}

/**
 * Answers a desk control request (the caller checked {@link isDeskControlPath} and parsed the body).
 * Returns false when no route matches (the caller answers 404).
 */
export async function handleDeskControl(
  target: DeskControlTarget,
  method: string,
  path: string,
  body: Record<string, unknown>,
  send: (res: ServerResponse, status: number, body: unknown) => void,
  res: ServerResponse,
): Promise<boolean> {
  const { state } = target;
  const desk = deskOf(state);
  for (const event of (desk.expireIdle(), desk.takePendingEvents())) await target.pushDeskEvent(event);
  if (path === '/sandbox/desk') {
    if (method !== 'GET') return false;
    send(res, 200, {
      agents: [...state.kf.keys()].map((account) => ({ kf_account: account, ...desk.agent(account) })),
      sessions: [...desk.sessions.values()],
      waiting: [...desk.waiting.values()],
      records: desk.records.length,
    });
    return true;
  }
  const m = /^\/sandbox\/kf-accounts\/([^/]+)\/([a-z]+)$/.exec(path) as RegExpExecArray;
  const account = decodeURIComponent(m[1] as string);
  const what = m[2];
  if (!state.kf.has(account)) throw new SandboxUsageError(`no kf account ${account}: add it first (kfaccount/add)`);
  const agent = desk.agent(account);
  const sessionOf = (openid: string) => {
    const s = desk.session(openid);
    if (!s || s.kf_account !== account) throw new SandboxUsageError(`${openid} has no session with ${account}`);
    return s;
  };
  switch (`${method} ${what}`) {
    case 'POST invitation': {
      const invite = agent.invitation;
      if (!invite || invite.status !== 'waiting') throw new SandboxUsageError(`${account} has no invitation waiting for an answer`);
      const answer = body.answer;
      if (answer === 'accept') desk.bind(account, invite.invite_wx);
      else if (answer === 'reject') invite.status = 'rejected';
      else throw new SandboxUsageError('give {"answer": "accept"} or {"answer": "reject"}');
      send(res, 200, { ok: true, agent: desk.agent(account) });
      return true;
    }
    case 'PUT status':
    case 'POST status': {
      const status = body.status;
      if (status !== 0 && status !== 1 && status !== 2 && status !== 3)
        throw new SandboxUsageError('give {"status": 0 | 1 | 2 | 3} (offline, web, mobile, both)');
      if (status !== 0 && !agent.kf_wx)
        throw new SandboxUsageError(
          `${account} is not bound to a WeChat user: nobody can log in to it (invite one, then accept the invitation)`,
        );
      desk.setStatus(account, status);
      send(res, 200, { ok: true, agent: desk.agent(account) });
      return true;
    }
    case 'POST accept': {
      if (agent.status === 0) throw new SandboxUsageError(`${account} is not online`);
      const candidates = [...desk.waiting.values()]
        .filter((w) => !w.kf_account || w.kf_account === account)
        .sort((a, b) => a.latestAt - b.latestAt);
      const openid = body.openid === undefined ? candidates[0]?.openid : text(body, 'openid');
      if (!openid || !candidates.some((w) => w.openid === openid))
        throw new SandboxUsageError(openid ? `${openid} is not waiting for ${account}` : `nobody is waiting for ${account}`);
      const push = await target.pushDeskEvent(desk.openSession(openid, account));
      send(res, 200, { ok: true, openid, push });
      return true;
    }
    case 'POST messages': {
      const openid = text(body, 'openid');
      sessionOf(openid);
      const content = text(body, 'content');
      const record = desk.record(openid, OPERCODE.kfSent, content, account);
      target.agentWrote(openid, content, account);
      send(res, 200, { ok: true, record });
      return true;
    }
    case 'POST transfer': {
      const openid = text(body, 'openid');
      const to = text(body, 'to');
      sessionOf(openid);
      if (!state.kf.has(to)) throw new SandboxUsageError(`no kf account ${to}`);
      const push = await target.pushDeskEvent(desk.switchSession(openid, to) as DeskEvent);
      send(res, 200, { ok: true, push });
      return true;
    }
    case 'POST close': {
      const openid = text(body, 'openid');
      sessionOf(openid);
      const push = await target.pushDeskEvent(desk.closeSession(openid, 'kf') as DeskEvent);
      send(res, 200, { ok: true, push });
      return true;
    }
    default:
      return false;
  }
}
