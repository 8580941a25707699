// The doctor's checks (GET /doctor), one line each: pass, or what to do.

import { call, clear, h } from './dom.js';

const MARK = { pass: '✔', fail: '✘', warn: '!', skip: '–' };

/**
 * Mounts the doctor panel into `root`.
 * @param {HTMLElement} root
 * @param {{product: boolean}} config
 */
export function mountDoctor(root, config) {
  if (!config.product) {
    root.append(h('p', { class: 'hint' }, 'The doctor runs in the product: start it with npm start, or run npm run doctor in a terminal.'));
    return;
  }
  const list = h('ol', { class: 'doctor-list', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'primary' }, 'Run the checks');
  button.addEventListener('click', async () => {
    button.disabled = true;
    clear(list).append(h('li', { class: 'hint' }, 'Checking…'));
    const res = await call('GET', '/doctor');
    clear(list);
    for (const c of res.body?.checks ?? []) {
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
    if (!res.body?.checks) list.append(h('li', { class: 'check fail' }, `GET /doctor answered ${res.status}`));
    button.disabled = false;
  });
  root.append(
    h(
      'p',
      { class: 'hint' },
      'Checks this server’s configuration the way WeChat will judge it: credentials, IP whitelist, kf API access, menu messages, the callback. No secret is shown.',
    ),
    button,
    list,
  );
}
