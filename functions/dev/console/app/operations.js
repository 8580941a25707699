// Every catalogue operation as a form, generated from the catalogue's field data (GET catalogue.json):
// each field's type gives its control, its rules are shown under it, and the form calls the product's own
// route for the operation. The product validates (its 400 names the field and the rule, and the field is
// marked here): the form checks nothing but that JSON fields parse, so what you see is what any caller gets.

import { call, clear, h, pretty } from './dom.js';

const RESOURCE_TITLES = { kfAccount: 'Kf accounts', message: 'Messages', typing: 'Typing' };
const titleOf = (resource) => RESOURCE_TITLES[resource] ?? resource.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());

/** Descriptions are written for n8n, which shows them as HTML: here they are text, so entities are decoded. */
function text(value) {
  return String(value ?? '').replace(/&(lt|gt|amp|quot|#39);/g, (_, e) => ({ lt: '<', gt: '>', amp: '&', quot: '"', '#39': "'" })[e]);
}

/** Path parameters of a route, e.g. `/kf-accounts/{kf_account}` → ['kf_account']. */
function pathParams(path) {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

function fieldId(op, field) {
  return `f-${op.name}-${field.name.replace(/[^\w-]/g, '_')}`;
}

function control(op, field, defaults) {
  const id = fieldId(op, field);
  const common = {
    id,
    name: field.name,
    'aria-describedby': `${id}-help`,
    placeholder: field.placeholder && !field.placeholder.startsWith('={{') ? field.placeholder : undefined,
  };
  const initial = defaults[field.name] ?? field.default;
  switch (field.type) {
    case 'boolean':
      return h('input', { ...common, type: 'checkbox', checked: initial === true });
    case 'number':
      return h('input', { ...common, type: 'number', inputmode: 'numeric', value: initial });
    case 'enum':
      return h(
        'select',
        common,
        field.required ? null : h('option', { value: '' }, '(none)'),
        (field.enum ?? []).map((e) => h('option', { value: e.value, selected: initial === e.value, title: e.description }, e.name)),
      );
    case 'json':
      return h(
        'textarea',
        { ...common, rows: 4, spellcheck: 'false', class: 'code', placeholder: field.placeholder ?? jsonHint(field) },
        initial === undefined ? '' : typeof initial === 'string' ? initial : JSON.stringify(initial),
      );
    case 'file':
      return h('input', { ...common, type: 'file' });
    case 'media': {
      // A media_id or a URL typed in, or a file chosen (as the field's sources allow).
      const sources = mediaSources(field);
      const typed = sources.filter((s) => s !== 'file').map((s) => (s === 'url' ? 'https:// URL' : 'media_id'));
      return h(
        'span',
        { class: 'media-source' },
        typed.length ? h('input', { ...common, type: 'text', autocomplete: 'off', placeholder: typed.join(' or '), value: initial }) : null,
        sources.includes('file')
          ? h('input', {
              id: `${id}-file`,
              name: `${field.name}#file`,
              type: 'file',
              'aria-label': `${field.displayName ?? field.name}: a file`,
            })
          : null,
      );
    }
    default:
      if (field.multiline) return h('textarea', { ...common, rows: 3 }, initial ?? '');
      return h('input', {
        ...common,
        type: field.secret ? 'password' : 'text',
        autocomplete: field.secret ? 'new-password' : 'off',
        value: initial,
      });
  }
}

/** Where a `media` field's file may come from: the catalogue's `sources`, all three by default. */
function mediaSources(field) {
  return field.sources ?? ['mediaId', 'file', 'url'];
}

function jsonHint(field) {
  if (field.name.endsWith('list')) return '[{"id": "1", "content": "Yes"}, {"id": "2", "content": "No"}]';
  if (field.name.endsWith('articles')) return '[{"title": "…", "description": "…", "url": "https://…", "picurl": "https://…"}]';
  return 'JSON';
}

/** Sets `a.b.c` in an object. */
function setPath(obj, dotted, value) {
  const keys = dotted.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] && typeof o[k] === 'object' ? o[k] : (o[k] = {});
  o[keys.at(-1)] = value;
}

/** Reads a form into the operation's input; a JSON field that does not parse is reported by name. */
function readForm(op, form) {
  const input = {};
  const problems = [];
  let file;
  let whole;
  const given = (name) => {
    const other = form.elements.namedItem(name);
    return other
      ? other.type === 'checkbox'
        ? other.checked
        : other.type === 'file'
          ? Boolean(other.files?.length)
          : other.value !== ''
      : false;
  };
  const files = [];
  for (const field of op.fields) {
    if (field.type === 'media') {
      const chosen = form.elements.namedItem(`${field.name}#file`)?.files?.[0];
      if (chosen) {
        files.push({ field: field.name, file: chosen });
        file ??= { field: field.name, file: chosen };
        continue;
      }
      const typed = form.elements.namedItem(field.name)?.value?.trim() ?? '';
      if (typed === '') continue;
      if (/^https?:\/\//i.test(typed) && mediaSources(field).includes('url')) setPath(input, field.name, { url: typed });
      else setPath(input, field.name, typed);
      continue;
    }
    const el = form.elements.namedItem(field.name);
    if (!el) continue;
    // A field meaningful only with another one is left out without it (e.g. Hash Password without a password).
    if (field.onlyWith && !given(field.onlyWith)) continue;
    if (field.type === 'file') {
      if (el.files?.[0]) file = { field: field.name, file: el.files[0] };
      continue;
    }
    if (field.type === 'boolean') {
      if (el.checked) setPath(input, field.name, true);
      continue;
    }
    const raw = el.value;
    if (raw === '') continue;
    if (field.type === 'number') setPath(input, field.name, Number(raw));
    else if (field.name === '(body)') {
      // The whole body as JSON (Send a message); the other fields, when filled in, take precedence.
      try {
        const parsed = JSON.parse(raw);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
          problems.push({ field: field.name, rule: 'must be a JSON object' });
        else whole = parsed;
      } catch {
        problems.push({ field: field.name, rule: 'is not valid JSON' });
      }
    } else if (field.type === 'json') {
      try {
        setPath(input, field.name, JSON.parse(raw));
      } catch {
        problems.push({ field: field.name, rule: 'is not valid JSON' });
      }
    } else setPath(input, field.name, raw);
  }
  return { input: whole ? { ...whole, ...input } : input, file, files, problems };
}

function get(obj, dotted) {
  return dotted.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

function unset(obj, dotted) {
  const keys = dotted.split('.');
  const parent = keys.slice(0, -1).reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
  if (parent && typeof parent === 'object') delete parent[keys.at(-1)];
}

/** The HTTP request for an input: path parameters in the path, query fields in the query, the rest as the body. */
export function requestFor(op, input, file, files = [], route = op.route) {
  const body = structuredClone(input);
  let path = route.path;
  for (const name of pathParams(route.path)) {
    const v = get(body, name);
    // An empty path parameter still makes a request: the product answers which field is missing.
    path = path.replace(`{${name}}`, encodeURIComponent(v === undefined ? '' : String(v)).replace(/%40/g, '@'));
    unset(body, name);
  }
  const query = new URLSearchParams();
  for (const name of op.query ?? []) {
    const v = get(body, name);
    if (v !== undefined) query.set(name, String(v));
    unset(body, name);
  }
  const url = `${path}${query.size ? `?${query}` : ''}`;
  const method = route.method;
  if (file && op.input?.kind === 'file') {
    const accepts = op.input.accepts ?? [];
    if (accepts.includes(file.file.type) && Object.keys(body).length === 0)
      return { method, url, body: file.file, headers: { 'content-type': file.file.type } };
    const form = new FormData();
    for (const [k, v] of Object.entries(body)) form.append(k, typeof v === 'string' ? v : JSON.stringify(v));
    form.append(op.input.field ?? file.field, file.file, file.file.name);
    return { method, url, body: form, headers: {} };
  }
  if (files.length && op.input?.kind === 'json') {
    // A send whose media are files: the JSON in a `message` part, each file at its field's dotted name.
    const form = new FormData();
    form.append('message', JSON.stringify(body));
    for (const f of files) form.append(f.field, f.file, f.file.name);
    return { method, url, body: form, headers: {} };
  }
  if (method === 'GET' || method === 'DELETE') return { method, url, body: Object.keys(body).length ? body : undefined, headers: {} };
  return { method, url, body, headers: {} };
}

function fieldBlock(op, field, defaults) {
  const id = fieldId(op, field);
  const rules = field.rules?.length ? field.rules.join(' · ') : '';
  const label = h(
    'label',
    { for: id },
    field.displayName ?? field.name,
    field.required ? h('span', { class: 'req', title: 'required' }, ' *') : null,
    h('code', { class: 'fname' }, field.name),
  );
  const input = control(op, field, defaults);
  const onlyWith = field.onlyWith ? op.fields.find((f) => f.name === field.onlyWith) : undefined;
  const help = h(
    'div',
    { class: 'help', id: `${id}-help` },
    text(field.description),
    rules ? h('span', { class: 'rules' }, `${field.description ? ' · ' : ''}${text(rules)}`) : null,
    onlyWith ? h('span', { class: 'only-with' }, ` · used only with ${onlyWith.displayName ?? onlyWith.name}`) : null,
  );
  const error = h('div', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
  return h(
    'div',
    { class: `field field-${field.type}`, dataset: { field: field.name } },
    field.type === 'boolean' ? h('div', { class: 'check' }, input, label) : [label, input],
    help,
    error,
  );
}

function showIssues(form, op, issues) {
  for (const block of form.querySelectorAll('.field')) {
    block.classList.remove('invalid');
    const err = block.querySelector('.field-error');
    err.hidden = true;
    err.textContent = '';
    block.querySelector('input, select, textarea')?.removeAttribute('aria-invalid');
  }
  let first;
  for (const issue of issues) {
    const name = String(issue.field ?? '');
    // An issue on `text.content` belongs to the field `text.content`; one on `list.0.id` to `list`.
    const field =
      op.fields.find((f) => f.name === name) ??
      op.fields
        .filter((f) => name.startsWith(`${f.name}.`) || f.name.startsWith(`${name}.`))
        .sort((a, b) => b.name.length - a.name.length)[0];
    if (!field) continue;
    const block = form.querySelector(`.field[data-field="${CSS.escape(field.name)}"]`);
    if (!block) continue;
    block.classList.add('invalid');
    const err = block.querySelector('.field-error');
    err.hidden = false;
    err.textContent = `${err.textContent ? `${err.textContent}; ` : ''}${name}: ${issue.rule}`;
    const ctl = block.querySelector('input, select, textarea');
    ctl?.setAttribute('aria-invalid', 'true');
    ctl?.setAttribute('aria-errormessage', err.id);
    first ??= ctl;
  }
  first?.focus();
}

function renderForm(op, out, ctx) {
  // The chosen account's route (account.js): /accounts/{appId} + the usual path, or the usual one for the default.
  const route = ctx.route(op);
  const defaults = {};
  const user = ctx.currentUser();
  if (user) for (const f of op.fields) if (f.name === 'touser' || f.name === 'openid') defaults[f.name] = user;
  const answer = h('div', { class: 'answer', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'op-form', novalidate: true, dataset: { operation: op.name } },
    h('div', { class: 'op-head' }, h('h3', null, op.title), h('code', { class: 'route' }, `${route.method} ${route.path}`)),
    h('p', { class: 'op-desc' }, text(op.description)),
    op.fields.length ? op.fields.map((f) => fieldBlock(op, f, defaults)) : h('p', { class: 'hint' }, 'No input.'),
    h(
      'div',
      { class: 'op-actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Call ', h('code', null, `${route.method} ${route.path}`)),
    ),
    answer,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const { input, file, files, problems } = readForm(op, form);
    if (problems.length) {
      showIssues(form, op, problems);
      clear(answer).append(h('div', { class: 'status bad' }, 'Not sent: ', problems.map((p) => `${p.field} ${p.rule}`).join('; ')));
      return;
    }
    const req = requestFor(op, input, file, files, ctx.route(op));
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    clear(answer).append(h('div', { class: 'status' }, 'Calling…'));
    try {
      const res = await call(req.method, req.url, req.body, req.headers);
      ctx.afterCall?.(input);
      const issues = res.body?.error?.issues ?? [];
      showIssues(form, op, issues);
      clear(answer).append(
        h(
          'div',
          { class: `status ${res.ok ? 'ok' : 'bad'}` },
          h('b', null, String(res.status)),
          ' ',
          res.ok ? 'OK' : (res.body?.error?.code ?? 'error'),
          res.body?.error?.message ? h('span', { class: 'msg' }, ` — ${res.body.error.message}`) : null,
        ),
        h('pre', { class: 'json' }, pretty(res.body)),
        h(
          'details',
          { class: 'sent' },
          h('summary', null, 'Request sent'),
          h(
            'pre',
            null,
            `${req.method} ${req.url}\n${req.body instanceof Blob || req.body instanceof FormData ? '(file)' : req.body === undefined ? '' : JSON.stringify(req.body, null, 2)}`,
          ),
        ),
      );
    } catch (error) {
      clear(answer).append(h('div', { class: 'status bad' }, `The request failed: ${error.message}`));
    } finally {
      button.disabled = false;
    }
  });
  clear(out).append(form);
}

/**
 * Mounts the operations panel into `root`.
 * @param {HTMLElement} root
 * @param {{currentUser: () => string | null, afterCall?: (input: object) => void, route: (op: object) => {method: string, path: string}}} ctx
 */
export async function mountOperations(root, ctx) {
  const res = await call('GET', 'catalogue.json');
  if (!res.ok || !Array.isArray(res.body?.operations)) {
    root.append(h('p', { class: 'hint' }, 'The catalogue could not be read: ', res.body?.error?.message ?? String(res.status)));
    return;
  }
  const ops = res.body.operations;
  const byResource = new Map();
  for (const op of ops) {
    if (!byResource.has(op.resource)) byResource.set(op.resource, []);
    byResource.get(op.resource).push(op);
  }
  const select = h(
    'select',
    { id: 'op-select', 'aria-label': 'Operation' },
    [...byResource].map(([resource, list]) =>
      h(
        'optgroup',
        { label: titleOf(resource) },
        list.map((op) => h('option', { value: op.name }, `${op.title}`)),
      ),
    ),
  );
  const out = h('div', { class: 'op-out' });
  const pick = () => renderForm(ops.find((o) => o.name === select.value) ?? ops[0], out, ctx);
  select.addEventListener('change', pick);
  root.append(h('div', { class: 'op-pick' }, h('label', { for: 'op-select' }, `Operation (${ops.length})`), select), out);
  select.value = ops.find((o) => o.name === 'sendText')?.name ?? ops[0].name;
  pick();
}
