// The doctor's checks, one line each: pass, or what to do. The default account's are GET /doctor (this server's
// configuration); another account's come from GET /doctor/accounts, which checks every account through the
// server's own /accounts/{appId}/… routes (functions/dev/doctor/accounts.ts).

import { call, clear, h } from './dom.js';

const MARK = { pass: '✔', fail: '✘', warn: '!', skip: '–' };

/**
 * Mounts the doctor panel into `root`.
 * @param {HTMLElement} root
 * @param {{product: boolean}} config
 * @param {string} [account] the chosen account's appId; undefined: the default account
 */
export function mountDoctor(root, config, account) {
  if (!config.product) {
    root.append(h('p', { class: 'hint' }, 'The doctor runs in the product: start it with npm start, or run npm run doctor in a terminal.'));
    return;
  }
  const list = h('ol', { class: 'doctor-list', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'primary' }, 'Run the checks');
  button.addEventListener('click', async () => {
    button.disabled = true;
    clear(list).append(h('li', { class: 'hint' }, 'Checking…'));
    const res = await call('GET', account ? '/doctor/accounts' : '/doctor');
    const report = account ? res.body?.accounts?.find((a) => a.appId === account) : res.body;
    clear(list);
    for (const c of report?.checks ?? []) {
      list.append(
        h(
          'li',
          { class: `check ${c.status}`, dataset: { check: c.id } },
          h('span', { class: 'mark', 'aria-label': c.status }, MARK[c.status] ?? '?'),
          h(
            'div',
            null,
            h('div', { class: 'check-title' }, c.title),
            h('div', { class: 'check-detail' }, c.detail),
            c.fix && c.status !== 'pass' ? h('div', { class: 'check-fix' }, '→ ', c.fix) : null,
          ),
        ),
      );
    }
    if (!report?.checks)
      list.append(
        h(
          'li',
          { class: 'check fail' },
          account && res.ok
            ? `GET /doctor/accounts has no report for ${account}: ${res.body?.checks?.[0]?.detail ?? 'it is not listed'}`
            : `${account ? 'GET /doctor/accounts' : 'GET /doctor'} answered ${res.status}`,
        ),
      );
    button.disabled = false;
  });
  root.append(
    h(
      'p',
      { class: 'hint' },
      account
        ? `Checks the account ${account} through this server’s routes for it, the way WeChat will judge it: credentials, IP whitelist, kf API access, the callback, its settings. No secret is shown.`
        : 'Checks this server’s configuration the way WeChat will judge it: credentials, IP whitelist, kf API access, menu messages, the callback. No secret is shown.',
    ),
    button,
    list,
  );
}
