// The account the console works on (docs/console.md, "Accounts"): chosen in the header from GET /accounts,
// kept in the page's URL (?account=wx…) so a reload keeps it. Every call the console makes to the product
// goes through accountPath or routeOf: the default account's usual paths unchanged, another's under
// /accounts/{appId} (or the operation's own per-account route).
// Whatever arrives tagged with an account (events' detail.appId, the sandbox's entries) is shown only when it
// is the chosen account's; untagged means the default account, as everywhere in the product.

import { call, h } from './dom.js';

const state = {
  /** GET /accounts, the default first; empty when the server lists none (no /accounts route). */
  accounts: [],
  /** The chosen account's appId; undefined: the default account. */
  chosen: undefined,
};

/** The chosen account from the page's URL, as typed there (checked against the list once it is read). */
function fromUrl() {
  const v = new URLSearchParams(location.search).get('account');
  return v === null || v === '' ? undefined : v;
}

/** The default account's appId, when the server lists accounts. */
function defaultAppId() {
  return state.accounts.find((a) => a.default)?.appId;
}

/** Whether the console works on another account than the default. */
function onOther() {
  return state.chosen !== undefined && state.chosen !== defaultAppId();
}

/**
 * The path of a product call for the chosen account.
 * @example accountPath('/interactions/oUser1') // '/accounts/wxB/interactions/oUser1' with ?account=wxB
 * @param {string} path the usual path, starting with /
 */
export function accountPath(path) {
  return onOther() ? `/accounts/${encodeURIComponent(state.chosen)}${path}` : path;
}

/**
 * The route of a catalogue operation (catalogue.json) for the chosen account: its route for that account,
 * the appId filled (`/accounts/{appId}` + its path, or its own: token vending's `/access-token/{appId}`),
 * or its usual route for the default account and for the deployment's own operations (the accounts,
 * webhook subscriptions), which no account changes.
 * @example routeOf(sendText) // {method: 'POST', path: '/accounts/wxB/messages/text'} with ?account=wxB
 * @param {{route: {method: string, path: string}, accountRoute: {method: string, path: string} | null}} op
 */
export function routeOf(op) {
  if (!onOther() || !op.accountRoute) return op.route;
  return { method: op.accountRoute.method, path: op.accountRoute.path.replace('{appId}', encodeURIComponent(state.chosen)) };
}

/**
 * Whether something tagged with an account (an event's detail.appId, a sandbox entry's appId) is the chosen
 * account's. Untagged is the default account's.
 * @param {unknown} appId
 */
export function isChosenAccount(appId) {
  const tagged = typeof appId === 'string' && appId !== '' ? appId : undefined;
  if (!onOther()) return tagged === undefined || tagged === defaultAppId() || state.accounts.length === 0;
  return tagged === state.chosen;
}

/** The chosen account's view from GET /accounts (undefined: unknown, or no list). */
export function chosenAccount() {
  const appId = state.chosen ?? defaultAppId();
  return state.accounts.find((a) => a.appId === appId);
}

/** The chosen account's appId, or undefined for the default (whatever its appId). */
export function chosenOther() {
  return onOther() ? state.chosen : undefined;
}

/** How an account is named in the page: its name and appId (text only: both come from users). */
function label(account) {
  const name = typeof account.name === 'string' && account.name.trim() ? `${account.name} · ` : '';
  return `${name}${account.appId}${account.default ? ' (default)' : ''}`;
}

/**
 * Reads the accounts and mounts the switcher into `root`. Choosing one reloads the page with ?account=: every
 * view starts again for that account, and nothing of the other one stays on screen.
 * @param {HTMLElement} root
 * @param {{product: boolean}} config
 * @param {(text: string) => void} warn shows a problem to the user
 */
export async function loadAccounts(root, config, warn) {
  state.chosen = fromUrl();
  if (!config.product) return;
  const res = await call('GET', '/accounts');
  const list = Array.isArray(res.body?.accounts) ? res.body.accounts : [];
  state.accounts = list.filter((a) => a && typeof a.appId === 'string' && a.appId !== '');
  if (state.chosen !== undefined && !state.accounts.some((a) => a.appId === state.chosen))
    // Never silently the default instead: the calls go to this account's paths and the product says 404.
    warn(`The account ${state.chosen} is not registered here (GET /accounts): choose one in the header.`);
  if (state.accounts.length === 0 && state.chosen === undefined) return;
  const select = h(
    'select',
    { id: 'account', name: 'account' },
    state.accounts.map((a) =>
      h('option', { value: a.default ? '' : a.appId, selected: a.appId === (state.chosen ?? defaultAppId()) }, label(a)),
    ),
  );
  if (state.chosen !== undefined && !state.accounts.some((a) => a.appId === state.chosen))
    select.append(h('option', { value: state.chosen, selected: true }, `${state.chosen} (not registered)`));
  select.addEventListener('change', () => {
    const url = new URL(location.href);
    if (select.value) url.searchParams.set('account', select.value);
    else url.searchParams.delete('account');
    // An openid names a user of one account only: the other account's user is not this one's.
    url.searchParams.delete('user');
    location.assign(url.href);
  });
  root.append(h('label', { for: 'account' }, 'Account'), select);
  root.hidden = false;
}
