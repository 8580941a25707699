/**
 * The product and the sandbox must agree on the window rules: the same states, judged by the core's
 * rules (functions/core/window.ts) and by the sandbox's (functions/dev/sandbox/rules.ts, written from the
 * reference), must give the same answer. Any difference fails here. Where the reference is silent, the
 * choice is written in docs/window-rules.md.
 */
import { buildPushMessage } from '../../functions/dev/sandbox/push';
import { interactionKindOf as sandboxKindOf, sendVerdict, typingVerdict, type UserWindowState } from '../../functions/dev/sandbox/rules';
import type { UserAction } from '../../functions/dev/sandbox/types';
import { interactionKindOf as coreKindOf, windowState, type InteractionKind, type WindowRecord } from '../../functions/core/window';
import type { RulesProfile } from '../../functions/core/limits';

const NOW = Date.UTC(2026, 5, 1, 8, 0, 0);
const S = 1000;
const H = 3_600_000;

/** One user's state: what they last did and how long ago, what was sent since, typing, following. */
interface State {
  kind?: InteractionKind;
  /** ms ago */
  inAgo?: number;
  sends?: number;
  /** ms ago of the last message sent to the user */
  outAgo?: number;
  /** typing shows until now + this */
  typingFor?: number;
  unfollowed?: boolean;
}

function asCore(st: State): WindowRecord {
  return {
    ...(st.kind && st.inAgo !== undefined && !st.unfollowed ? { lastInboundAt: NOW - st.inAgo, lastInboundKind: st.kind } : {}),
    ...(st.sends !== undefined ? { sendsUsed: st.sends } : {}),
    ...(st.outAgo !== undefined ? { lastOutboundAt: NOW - st.outAgo } : {}),
    ...(st.typingFor !== undefined ? { typingUntil: NOW + st.typingFor } : {}),
    ...(st.unfollowed ? { unfollowedAt: NOW - S } : {}),
  };
}

function asSandbox(st: State): UserWindowState {
  const exchanges = [st.inAgo, st.outAgo].filter((a): a is number => a !== undefined).map((a) => NOW - a);
  return {
    following: !st.unfollowed,
    ...(st.kind && st.inAgo !== undefined && !st.unfollowed
      ? { window: { kind: st.kind, openedAt: NOW - st.inAgo, sends: st.sends ?? 0 } }
      : {}),
    ...(exchanges.length ? { lastExchangeAt: Math.max(...exchanges) } : {}),
    ...(st.typingFor !== undefined ? { typingUntil: NOW + st.typingFor } : {}),
  };
}

const STATES: Array<[string, State]> = [
  ['nothing recorded', {}],
  ['a message 10 s ago', { kind: 'message', inAgo: 10 * S }],
  ['a message 1 h ago', { kind: 'message', inAgo: H }],
  ['a message 47 h ago, 4 sends', { kind: 'message', inAgo: 47 * H, sends: 4, outAgo: 46 * H }],
  ['a message 48 h ago exactly', { kind: 'message', inAgo: 48 * H }],
  ['a message 10 s ago, all 5 sends used, the last 5 s ago', { kind: 'message', inAgo: 10 * S, sends: 5, outAgo: 5 * S }],
  ['a message 10 s ago, 4 sends used', { kind: 'message', inAgo: 10 * S, sends: 4, outAgo: 5 * S }],
  ['a menu click 20 s ago, all 3 sends used', { kind: 'event', inAgo: 20 * S, sends: 3, outAgo: 10 * S }],
  ['a menu click 50 s ago, 1 send 40 s ago', { kind: 'event', inAgo: 50 * S, sends: 1, outAgo: 40 * S }],
  ['a menu click 70 s ago (window over), a send 15 s before its end', { kind: 'event', inAgo: 70 * S, sends: 1, outAgo: 15 * S }],
  ['a message 30 s ago exactly', { kind: 'message', inAgo: 30 * S }],
  ['a message 31 s ago, a send 29 s ago', { kind: 'message', inAgo: 31 * S, sends: 1, outAgo: 29 * S }],
  ['typing showing for 10 s more', { kind: 'message', inAgo: 5 * S, typingFor: 10 * S }],
  ['typing ended a moment ago', { kind: 'message', inAgo: 5 * S, typingFor: -1 }],
  ['unfollowed after writing in', { kind: 'message', inAgo: 10 * S, unfollowed: true }],
];

describe.each<RulesProfile>(['current', 'seed'])('core and sandbox agree on the window rules (%s)', (profile) => {
  it.each(STATES)('%s', (_name, st) => {
    // Act
    const core = windowState(asCore(st), NOW, profile);
    const sandbox = { canSend: sendVerdict(asSandbox(st), profile, NOW).ok, canType: typingVerdict(asSandbox(st), profile, NOW).ok };
    // Assess
    expect({ canSend: core.canSend, canType: core.canType }).toEqual(sandbox);
  });
});

describe('core and sandbox agree on what a push opens', () => {
  const ACTIONS: Array<[string, UserAction]> = [
    ['a text', { type: 'text', content: 'hi' }],
    ['a tap on a msgmenu item', { type: 'menuReply', menuId: '101', content: 'Yes' }],
    ['an image', { type: 'image' }],
    ['a voice message', { type: 'voice' }],
    ['a location', { type: 'location' }],
    ...(['subscribe', 'unsubscribe', 'SCAN', 'CLICK', 'VIEW', 'scancode_push', 'scancode_waitmsg', 'LOCATION'] as const).map(
      (event) => [`the event ${event}`, { type: 'event', event } as UserAction] as [string, UserAction],
    ),
  ];
  it.each(ACTIONS)('%s', (_name, action) => {
    // Prepare: the push the sandbox sends for the action
    const push = buildPushMessage(action, 'oAgree', { toUserName: 'gh_sandbox', createTime: NOW / 1000, msgId: '24436487191827100001' });
    // Act
    const core = coreKindOf(push as { MsgType?: string; Event?: string; bizmsgmenuid?: string });
    const sandbox = sandboxKindOf(action);
    // Assess
    expect(core ?? (push.Event === 'unsubscribe' ? 'unfollow' : null)).toBe(sandbox);
  });
});

describe('core and sandbox agree on msgmenu ids', () => {
  it.each([
    [
      'string ids',
      [
        { id: '101', content: 'Yes' },
        { id: '102', content: 'No' },
      ],
    ],
    [
      'number ids',
      [
        { id: 101, content: 'Yes' },
        { id: 102, content: 'No' },
      ],
    ],
  ])('what the core accepts (%s), the sandbox accepts as sent', async (_name, list) => {
    // Prepare
    const { startSandbox } = await import('../../functions/dev/sandbox');
    const { getOperation } = await import('../../functions/core/catalogue');
    const sandbox = await startSandbox({ quiet: true });
    try {
      await sandbox.simulateUser('oMenu', { type: 'text', content: 'hi' });
      const token = (await (
        await fetch(`${sandbox.url}/cgi-bin/token?grant_type=client_credential&appid=${sandbox.appId}&secret=${sandbox.appSecret}`)
      ).json()) as { access_token: string };
      const op = getOperation('sendMsgMenu');
      // Act
      const request = op.toRequest!(op.parse({ touser: 'oMenu', msgmenu: { head_content: 'Happy?', list } }));
      const answer = (await (
        await fetch(`${sandbox.url}${request.path}?access_token=${token.access_token}`, {
          method: 'POST',
          body: JSON.stringify(request.json),
        })
      ).json()) as { errcode: number };
      // Assess
      expect(answer.errcode).toBe(0);
    } finally {
      await sandbox.stop();
    }
  });
});
