// The console: one phone-like chat per sandbox user, the user's send window beside it, every catalogue
// operation as a form, the log of what reached WeChat and the doctor. Everything live comes from the
// sandbox's server-sent events (GET <sandbox>/stream): nothing here polls.

import { call, clear, clock, h, left } from './dom.js';
import { renderAccountMessage, describeAction, passiveReply, setMediaBase } from './render.js';
import { mountOperations } from './operations.js';
import { mountDoctor } from './doctor.js';
import { accountPath, chosenAccount, chosenOther, isChosenAccount, loadAccounts, routeOf } from './account.js';

const $ = (id) => document.getElementById(id);

/** The official account's bottom menu in the sandbox: each item sends a CLICK event with its key. */
const BOTTOM_MENU = [
  { label: 'Help', key: 'MENU_HELP' },
  { label: 'My orders', key: 'MENU_ORDERS' },
  { label: 'Talk to us', key: 'MENU_CONTACT' },
];

const state = {
  config: null,
  /** openid → {items: [], snapshot, product, typingUntil, human} */
  users: new Map(),
  current: null,
  log: [],
};

function user(openid) {
  let u = state.users.get(openid);
  if (!u) {
    u = { openid, items: [], snapshot: undefined, product: undefined, typingUntil: 0, human: undefined, unread: 0 };
    state.users.set(openid, u);
    renderUserList();
  }
  return u;
}

// ----- the phone ---------------------------------------------------------------------------------

function chatItem(entry) {
  const at = h('time', { class: 'at', datetime: new Date(entry.at).toISOString() }, clock(entry.at));
  if (entry.type === 'push') {
    const { bubble, system, note } = describeAction(entry.action, entry.result?.message);
    const out = [];
    if (system) out.push(h('li', { class: 'system' }, system));
    if (bubble)
      out.push(
        h(
          'li',
          { class: 'row me' },
          h('div', { class: 'stack' }, bubble, note ? h('div', { class: 'note' }, note) : null),
          h('div', { class: 'avatar me-avatar', 'aria-hidden': 'true' }, 'Me'),
        ),
      );
    const r = entry.result ?? {};
    if (r.routedTo) out.push(h('li', { class: 'system' }, `Your message went to the human agent ${r.routedTo}`));
    else if (!r.delivered) {
      const why =
        r.attempts === 0
          ? 'no callback is configured in the sandbox'
          : r.status
            ? `your server answered HTTP ${r.status}`
            : `your server did not answer (${r.tries?.at(-1)?.error ?? 'error'})`;
      out.push(h('li', { class: 'system warn' }, `Not delivered to your server: ${why}`));
    }
    const reply = passiveReply(r);
    if (reply?.transfer)
      out.push(
        h(
          'li',
          { class: 'system human' },
          `Transferred to a human agent${reply.kf_account ? ` (${reply.kf_account})` : ''}: you are waiting for one`,
        ),
      );
    else if (reply) out.push(accountRow(reply, entry, 'passive reply'));
    return out;
  }
  if (entry.type === 'message')
    return [
      accountRow(
        entry.body,
        entry,
        entry.agent ? `human agent ${entry.kf_account}` : entry.kf_account ? `as ${entry.kf_account}` : undefined,
        entry.agent,
      ),
    ];
  if (entry.type === 'turn') {
    const n = `${entry.messages} message${entry.messages === 1 ? '' : 's'}`;
    const limited = `Turn closed: ${n} → turn.limited (${entry.count} of ${entry.limit} this hour)`;
    const text = entry.kind === 'turn.limited' ? limited : `Turn closed: ${n} → turn.ready`;
    return [h('li', { class: 'system turn', dataset: { turnId: String(entry.turnId ?? '') } }, text)];
  }
  if (entry.type === 'desk') {
    const kf = entry.kf_account ?? 'an agent';
    const text =
      {
        kf_create_session: `The human agent ${kf} joined the chat`,
        kf_switch_session: `The chat was handed to the human agent ${kf}`,
        kf_close_session: 'The human agent closed the session: the account’s server answers again',
      }[entry.event] ?? `Desk event ${entry.event}`;
    return [h('li', { class: 'system human' }, text)];
  }
  return [at];
}

function accountRow(body, entry, note, agent) {
  const bubble = renderAccountMessage(body, { onMenu: (item) => tapMenu(entry.openid, item) });
  // WeChat draws this under a message sent with aimsgcontext.is_ai_msg = 1 (docs/ai-label.md).
  const aiLabel = body.aimsgcontext?.is_ai_msg === 1 ? h('div', { class: 'ai-label' }, '内容由第三方AI生成') : null;
  const avatar = h('div', { class: `avatar ${agent ? 'agent-avatar' : 'them-avatar'}`, 'aria-hidden': 'true' }, agent ? 'KF' : 'OA');
  const stack = h('div', { class: 'stack' }, bubble, aiLabel, note ? h('div', { class: 'note' }, note) : null);
  return h('li', { class: `row them${agent ? ' agent' : ''}`, dataset: { msgtype: body.msgtype } }, avatar, stack);
}

function renderChat() {
  const list = $('chat');
  clear(list);
  const u = state.current ? state.users.get(state.current) : undefined;
  const account = chosenOther() ?? 'Sandbox account';
  $('chat-title').textContent = state.current ? `${account} · ${state.current}` : account;
  if (!u || u.items.length === 0) {
    list.append(
      h(
        'li',
        { class: 'system empty' },
        state.current
          ? 'Write a message, tap the menu or follow the account: the sandbox pushes it, signed, to the product.'
          : 'Add a user to start.',
      ),
    );
  } else {
    let lastAt = 0;
    for (const entry of u.items) {
      // WeChat shows the time when more than 5 minutes passed since the last one shown.
      if (entry.at - lastAt > 5 * 60_000) {
        list.append(h('li', { class: 'time' }, clock(entry.at)));
        lastAt = entry.at;
      }
      for (const li of chatItem(entry)) if (li.tagName === 'LI') list.append(li);
    }
  }
  list.scrollTop = list.scrollHeight;
  renderTyping();
  renderTurn();
}

function appendToChat(entry) {
  const list = $('chat');
  list.querySelector('.empty')?.remove();
  for (const li of chatItem(entry)) if (li.tagName === 'LI') list.append(li);
  list.scrollTop = list.scrollHeight;
  renderTurn();
}

/**
 * With turns on (docs/turns.md): the user's messages since their last closed turn are the turn forming;
 * the bar under the chat says how many, until the product publishes the turn (GET /console/turns).
 */
function renderTurn() {
  const bar = $('turn');
  const u = state.current ? state.users.get(state.current) : undefined;
  if (!state.config?.turns || !u) {
    bar.hidden = true;
    return;
  }
  const lastTurn = u.items.map((e) => e.type).lastIndexOf('turn');
  const forming = u.items.slice(lastTurn + 1).filter((e) => e.type === 'push' && e.result?.delivered).length;
  bar.hidden = forming === 0;
  const quiet = state.config.turns.quietMs / 1000;
  bar.textContent = `Turn forming: ${forming} message${forming === 1 ? '' : 's'}; it closes after ${quiet} s of quiet`;
}

/** Closed turns, as the product publishes them. */
function connectTurns() {
  const es = new EventSource('turns');
  es.addEventListener('turn', (ev) => {
    const turn = JSON.parse(ev.data);
    // Another account's turn is not this page's (detail.appId; none: the default account). A turn closes after
    // its user's messages, which the sandbox's stream showed for their own account: a user this page does not
    // know is another account's, whatever the turn says.
    if (typeof turn.openid !== 'string' || !isChosenAccount(turn.appId) || !state.users.has(turn.openid)) return;
    const u = user(turn.openid);
    const entry = { ...turn, type: 'turn', at: Date.parse(turn.closedAt) || Date.now() };
    u.items.push(entry);
    if (turn.openid === state.current) appendToChat(entry);
  });
}

let typingTimer;
function renderTyping() {
  const u = state.current ? state.users.get(state.current) : undefined;
  const until = u?.typingUntil ?? 0;
  const on = until > Date.now();
  $('typing').hidden = !on;
  $('chat-title').hidden = on;
  clearTimeout(typingTimer);
  // One timer to hide it when it runs out (WeChat's indicator lasts 15 s); not a poll.
  if (on) typingTimer = setTimeout(renderTyping, until - Date.now() + 50);
}

function renderUserList() {
  const list = $('user-list');
  clear(list);
  for (const u of state.users.values()) {
    const current = u.openid === state.current;
    list.append(
      h(
        'li',
        null,
        h(
          'button',
          {
            type: 'button',
            class: `user${current ? ' current' : ''}`,
            'aria-current': current ? 'true' : undefined,
            onclick: () => select(u.openid),
          },
          h('span', { class: 'user-avatar', 'aria-hidden': 'true' }, u.openid.replace(/^o(?=[A-Z_])/, '').slice(0, 2)),
          h('span', { class: 'user-name' }, u.openid),
          u.snapshot && !u.snapshot.following ? h('span', { class: 'tag' }, 'unfollowed') : null,
          u.unread && !current ? h('span', { class: 'badge', 'aria-label': `${u.unread} new` }, String(u.unread)) : null,
        ),
      ),
    );
  }
}

function select(openid) {
  state.current = openid;
  const u = user(openid);
  u.unread = 0;
  renderUserList();
  renderChat();
  renderWindow();
  void refreshProductWindow(openid);
  $('composer-input').focus();
}

// ----- what the user does ------------------------------------------------------------------------

/**
 * A sandbox control URL for the chosen account: the sandbox names an account other than its first (the
 * product's default) with `?appId=` (functions/dev/sandbox/control.ts).
 */
function sandboxUrl(path) {
  const other = chosenOther();
  return `${state.config.sandbox}${path}${other ? `${path.includes('?') ? '&' : '?'}appId=${encodeURIComponent(other)}` : ''}`;
}

async function act(path, body, contentType) {
  const openid = state.current;
  if (!openid) return;
  const res = await call(
    'POST',
    sandboxUrl(`/users/${encodeURIComponent(openid)}/${path}`),
    body,
    contentType ? { 'content-type': contentType } : {},
  );
  if (!res.ok) showToast(res.body?.error?.message ?? `the sandbox answered ${res.status}`);
  return res;
}

function tapMenu(openid, item) {
  if (openid !== state.current) select(openid);
  void act('messages', { menuId: String(item.id), content: String(item.content) });
}

async function sendPicture(file) {
  // The sandbox stores the picture as the user's media (media/get serves it) when it knows how; else a sample.
  const res = await call('POST', sandboxUrl(`/users/${encodeURIComponent(state.current)}/messages`), file, {
    'content-type': file.type || 'image/jpeg',
  });
  if (!res.ok) await act('actions', { type: 'image' });
}

let toastTimer;
function showToast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 6000);
}

// ----- the window --------------------------------------------------------------------------------

function row(label, value, cls) {
  return [h('dt', null, label), h('dd', { class: cls }, value)];
}

function renderWindow() {
  const box = $('window-body');
  clear(box);
  const u = state.current ? state.users.get(state.current) : undefined;
  $('window-user').textContent = state.current ?? '';
  if (!u) return;
  const p = u.product;
  const s = u.snapshot;
  const now = Date.now();
  const dl = h('dl', { class: 'facts-list' });
  if (p) {
    const end = p.sendWindowEnd ? Date.parse(p.sendWindowEnd) : null;
    dl.append(
      ...row('Can send', p.canSend ? 'yes' : `no${p.sendRefusal ? ` (${p.sendRefusal})` : ''}`, p.canSend ? 'ok' : 'bad'),
      ...row('Sends left', p.sendsLeft === null || p.sendsLeft === undefined ? (p.canSend ? 'no limit' : '0') : String(p.sendsLeft), 'num'),
      ...row(
        'Window closes',
        end
          ? h('span', { class: 'countdown', dataset: { end: String(end) } }, end > now ? `in ${left(end - now)}` : 'closed')
          : 'no window',
        end && end > now ? 'ok' : 'bad',
      ),
      ...row('Typing allowed', p.canType ? 'yes' : 'no', p.canType ? 'ok' : 'bad'),
      ...row('Human session', humanOf(u) ?? 'no', humanOf(u) ? 'human' : ''),
      // A handoff mark (POST /handoff or a keyword): the user's next message goes to the desk.
      ...row('Handoff pending', p.handoffPending ? 'yes: the next message goes to the desk' : 'no', p.handoffPending ? 'human' : ''),
      ...row(
        'Last interaction',
        p.lastInteractionAt ? `${p.lastInteractionKind ?? ''} at ${clock(Date.parse(p.lastInteractionAt))}` : 'none',
      ),
    );
  } else if (!state.config.product) {
    dl.append(...row('Product', 'not running here (npm run sandbox): WeChat’s own view below'));
  }
  box.append(dl);
  if (s) {
    const w = s.window;
    box.append(
      h('h3', null, 'WeChat’s view (sandbox)'),
      h(
        'dl',
        { class: 'facts-list small' },
        ...row('Following', s.following ? 'yes' : 'no', s.following ? 'ok' : 'bad'),
        ...row(
          'Window',
          w
            ? `${w.kind}: ${w.sends}${w.maxSends === null ? '' : ` of ${w.maxSends}`} sends, ${w.endsAt > now ? `closes in ${left(w.endsAt - now)}` : 'closed'}`
            : 'none',
        ),
        ...row('custom/send now', s.canSend.ok ? 'accepted' : `errcode ${s.canSend.errcode}`, s.canSend.ok ? 'ok' : 'bad'),
      ),
    );
  }
}

/** Who has the user's session, from whichever side knows (the product's humanSession, the sandbox's desk). */
function humanOf(u) {
  const p = u.product?.humanSession ?? u.product?.session;
  if (p) return typeof p === 'object' ? `yes: ${p.kf_account ?? p.kfAccount ?? 'an agent'}` : String(p);
  if (u.desk?.session) return `yes: ${u.desk.session.kf_account}`;
  if (u.desk?.waiting) return `waiting for ${u.desk.waiting.kf_account ?? 'an agent'}`;
  if (u.desk) return undefined;
  return u.human;
}

// Only the countdown text moves each second; the state itself changes only when an event arrives.
setInterval(() => {
  for (const el of document.querySelectorAll('.countdown')) {
    const end = Number(el.dataset.end);
    el.textContent = end > Date.now() ? `in ${left(end - Date.now())}` : 'closed';
  }
}, 1000);

const refreshing = new Map();
/**
 * Re-reads the product's window state of a user after something happened to them. One read at a time per
 * user; an event that arrives while one is in flight asks for one more read after it, so the last event
 * is always reflected.
 */
function refreshProductWindow(openid) {
  if (!state.config.product || !openid) return Promise.resolve();
  const running = refreshing.get(openid);
  if (running) {
    running.again = true;
    return running.done;
  }
  const entry = { again: false, done: null };
  entry.done = (async () => {
    do {
      entry.again = false;
      const res = await call('GET', accountPath(`/interactions/${encodeURIComponent(openid)}`));
      if (res.ok) {
        user(openid).product = res.body;
        if (openid === state.current) renderWindow();
      }
    } while (entry.again);
  })().finally(() => refreshing.delete(openid));
  refreshing.set(openid, entry);
  return entry.done;
}

// ----- the log -----------------------------------------------------------------------------------

function logLine(entry) {
  const r = entry.request;
  const a = r.answer ?? {};
  const body = a.body;
  const err = body && typeof body === 'object' && typeof body.errcode === 'number' && body.errcode !== 0;
  const outcome =
    a.fault === 'reset'
      ? 'connection reset'
      : a.status !== 200
        ? `HTTP ${a.status}`
        : err
          ? `errcode ${body.errcode} ${body.errmsg ?? ''}`
          : 'ok';
  const details = h(
    'details',
    { class: 'log-detail' },
    h(
      'summary',
      null,
      h('span', { class: `log-status ${err || a.status !== 200 ? 'bad' : 'ok'}` }, outcome),
      h('code', { class: 'log-path' }, `${r.method} ${r.path}`),
      h('time', null, clock(entry.at)),
    ),
    h('pre', null, JSON.stringify({ query: r.query, body: r.body, answer: a }, null, 2)),
  );
  return h('li', null, details);
}

function renderLog(entry) {
  const list = $('log-list');
  list.querySelector('.empty')?.remove();
  list.prepend(logLine(entry));
  while (list.children.length > 300) list.lastChild.remove();
  $('log-count').textContent = String(Number($('log-count').textContent || 0) + 1);
}

// ----- the stream --------------------------------------------------------------------------------

function resetAll() {
  state.users.clear();
  clear($('log-list')).append(h('li', { class: 'empty' }, 'Nothing has reached the sandbox yet.'));
  $('log-count').textContent = '0';
  if (state.current) user(state.current);
  renderUserList();
  renderChat();
  renderWindow();
}

function onEntry(entry) {
  // The sandbox tags what happens to another account than its default one; only the chosen account's is shown.
  if (entry.type !== 'reset' && !isChosenAccount(entry.appId)) return;
  switch (entry.type) {
    case 'reset':
      resetAll();
      return;
    case 'request':
      renderLog(entry);
      return;
    case 'user': {
      const u = user(entry.openid);
      u.snapshot = entry.user;
      if (entry.desk) u.desk = entry.desk;
      if (entry.user.typingUntil) u.typingUntil = entry.user.typingUntil;
      if (entry.openid === state.current) {
        renderWindow();
        renderTyping();
      }
      renderUserList();
      void refreshProductWindow(entry.openid);
      return;
    }
    case 'typing': {
      const u = user(entry.openid);
      u.typingUntil = entry.command === 'Typing' ? entry.at + 15_000 : 0;
      if (entry.openid === state.current) renderTyping();
      return;
    }
    case 'push':
    case 'desk':
    case 'message': {
      const u = user(entry.openid);
      u.items.push(entry);
      if (entry.type === 'message') u.typingUntil = 0;
      const reply = entry.type === 'push' ? passiveReply(entry.result) : undefined;
      if (reply?.transfer) u.human = reply.kf_account ?? 'waiting for an agent';
      if (entry.openid === state.current) {
        appendToChat(entry);
        renderTyping();
      } else {
        u.unread++;
        renderUserList();
      }
      return;
    }
  }
}

/** Adds every user the sandbox holds (GET /sandbox/users) to the list, with their state. */
async function loadKeptUsers() {
  const res = await call('GET', sandboxUrl('/users'));
  if (!res.ok || !Array.isArray(res.body?.users)) return;
  for (const snapshot of res.body.users) {
    if (typeof snapshot?.openid !== 'string' || !isChosenAccount(snapshot.appId)) continue;
    const u = user(snapshot.openid);
    // A snapshot the stream delivered meanwhile is the newer one.
    u.snapshot ??= snapshot;
  }
  renderUserList();
  renderWindow();
}

function connect() {
  const es = new EventSource(sandboxUrl('/stream'));
  const conn = $('conn');
  es.addEventListener('open', () => {
    conn.textContent = 'live';
    conn.className = 'conn live';
  });
  es.addEventListener('error', () => {
    conn.textContent = 'reconnecting…';
    conn.className = 'conn down';
  });
  // A replay from the start follows: forget what is shown so nothing appears twice. The stream replays only
  // what happened since the sandbox started, so the users it kept from before a restart are asked for.
  es.addEventListener('hello', (ev) => {
    if (JSON.parse(ev.data).replayFrom === 0) {
      resetAll();
      void loadKeptUsers();
    }
  });
  for (const type of ['push', 'message', 'typing', 'desk', 'request', 'user', 'reset']) {
    es.addEventListener(type, (ev) => onEntry(JSON.parse(ev.data)));
  }
}

// ----- start -------------------------------------------------------------------------------------

function wireComposer() {
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('composer-input');
    const text = input.value;
    if (!text.trim() || !state.current) return;
    input.value = '';
    void act('messages', { content: text });
  });
  $('picture-button').addEventListener('click', () => $('picture').click());
  $('picture').addEventListener('change', (e) => {
    const file = e.target.files?.[0];
    if (file) void sendPicture(file);
    e.target.value = '';
  });
  $('follow').addEventListener('click', () => void act('events', { event: 'subscribe' }));
  $('unfollow').addEventListener('click', () => void act('events', { event: 'unsubscribe' }));
  $('scan').addEventListener('click', () => void act('events', { event: 'SCAN', eventKey: 'console' }));
  const bar = $('menu-bar');
  for (const item of BOTTOM_MENU)
    bar.append(
      h(
        'button',
        {
          type: 'button',
          class: 'menu-item',
          onclick: () => void act('events', { event: 'CLICK', eventKey: item.key }),
          title: `sends a CLICK event with EventKey ${item.key}`,
        },
        item.label,
      ),
    );
  $('new-user').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('new-openid');
    if (!input.checkValidity()) return input.reportValidity();
    select(input.value);
    input.value = '';
  });
  $('reset').addEventListener('click', async () => {
    if (confirm('Clear every sandbox user, message and log line?')) await call('POST', `${state.config.sandbox}/reset`);
  });
}

function wireTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const show = (tab) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')).hidden = !on;
    }
  };
  for (const t of tabs) {
    t.addEventListener('click', () => show(t));
    t.addEventListener('keydown', (e) => {
      const i = tabs.indexOf(t);
      const next =
        e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(i - 1 + tabs.length) % tabs.length] : null;
      if (next) {
        e.preventDefault();
        show(next);
        next.focus();
      }
    });
  }
  show(tabs.find((t) => !t.hidden) ?? tabs[0]);
}

/** The header's facts: the server's for the default account; another account's own AppID, name and settings. */
function accountFacts(facts) {
  const other = chosenOther();
  if (!other) return facts ?? {};
  const view = chosenAccount();
  const out = { AppID: other };
  if (typeof view?.name === 'string' && view.name) out.name = view.name;
  const settings = view?.settings ?? {};
  for (const [key, label] of [
    ['windowPolicy', 'window policy'],
    ['windowRules', 'rules'],
    ['replyMode', 'reply mode'],
  ])
    if (typeof settings[key] === 'string') out[label] = settings[key];
  return out;
}

async function main() {
  const res = await call('GET', 'config.json');
  state.config = res.body;
  const { mode, facts } = state.config;
  $('mode').textContent = mode === 'wechat' ? 'real WeChat' : mode === 'sandbox' ? 'sandbox' : 'sandbox only';
  $('mode').className = `mode ${mode}`;
  await loadAccounts($('account-switch'), state.config, showToast);
  for (const [k, v] of Object.entries(accountFacts(facts))) $('facts').append(h('span', { class: 'fact' }, h('b', null, k), ' ', v));
  wireComposer();
  wireTabs();
  if (state.config.sandbox) {
    // The chosen account's media: the sandbox keeps temporary media per account.
    setMediaBase(sandboxUrl);
    const openid = new URLSearchParams(location.search).get('user') ?? 'oUser1';
    select(/^[A-Za-z0-9_-]{1,64}$/.test(openid) ? openid : 'oUser1');
    connect();
    if (state.config.turns) connectTurns();
  } else {
    // Real WeChat: users write from their phones; the window of any user can be looked up.
    document.body.classList.add('no-sandbox');
    $('conn').textContent = 'real WeChat: users write from their phones';
    $('lookup').addEventListener('submit', (e) => {
      e.preventDefault();
      const openid = $('lookup-openid').value.trim();
      if (!openid) return;
      state.current = openid;
      user(openid);
      renderWindow();
      void refreshProductWindow(openid);
    });
  }
  const afterCall = (input) => {
    const openid = input?.touser ?? input?.openid;
    if (typeof openid === 'string' && state.users.has(openid)) void refreshProductWindow(openid);
  };
  if (state.config.product) await mountOperations($('operations'), { currentUser: () => state.current, afterCall, route: routeOf });
  else
    $('operations').append(
      h('p', { class: 'hint' }, 'The product is not running here. Start it with npm start to call its operations from this page.'),
    );
  mountDoctor($('doctor'), state.config, chosenOther());
}

main().catch((error) => {
  document.body.prepend(h('p', { class: 'fatal', role: 'alert' }, `The console could not start: ${error.message}`));
});
