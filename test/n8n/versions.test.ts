/**
 * The action node's two versions (n8n-nodes/nodes/WeChatKf/actions/versions.ts), built, on n8n-core's real
 * engine against the sandbox:
 * - version 1 keeps its parameters: the first release's *Typing → Typing* / *Cancel Typing* still run, and
 *   each resource's default operation is the one it had (a saved workflow leaves defaults out);
 * - version 2: resource locators (values `{__rl, mode, value}`) whose *From List* lists kf accounts from
 *   WeChat, Simplify on list answers, Gateway-only resources only with the Gateway credential, default
 *   operations that are the usual first step, events as a multi-select, times as date pickers.
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import type { INodeProperties } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { createHarness, loadPackage } from './harness';

const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };
const byId = (value: string) => ({ __rl: true, mode: 'id', value });
const fromList = (value: string) => ({ __rl: true, mode: 'list', value });

const { nodes } = loadPackage();
const description = nodes['n8n-nodes-wechat-kf.weChatKf']!.description;
/** The properties a version shows (its `@version` tag), with the other conditions left to the caller. */
const ofVersion = (version: number, name: string) =>
  description.properties.filter((p) => p.name === name && p.displayOptions?.show?.['@version']?.includes(version));
const operationField = (version: number, resource: string) =>
  ofVersion(version, 'operation').find((p) => p.displayOptions?.show?.resource?.includes(resource))!;
const values = (p: INodeProperties) => (p.options ?? []).map((o) => (o as { value: string }).value);

let sandbox: Sandbox;
let harness: ReturnType<typeof createHarness>;
let userSeq = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true });
  harness = createHarness({
    credentials: {
      c1: {
        type: 'weChatOfficialAccountApi',
        data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
      },
    },
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

async function activeUser(): Promise<string> {
  const openid = `o_versions_user_${++userSeq}`;
  await sandbox.simulateUser(openid, { type: 'text', content: 'hello' });
  return openid;
}

describe('the description', () => {
  it('has versions 1 and 2, new nodes get 2, and every property belongs to one version (or to both)', () => {
    expect(description.version).toEqual([1, 2]);
    expect(description.defaultVersion).toBe(2);
    const untagged = description.properties.filter((p) => !p.displayOptions?.show?.['@version']).map((p) => p.name);
    expect(untagged).toEqual(['authentication']);
  });

  it("keeps version 1's default operations, and gives version 2 the usual first step", () => {
    const defaults = (version: number) =>
      Object.fromEntries(['kfAccount', 'kfSession', 'handoff', 'media', 'typing'].map((r) => [r, operationField(version, r).default]));
    expect(defaults(1)).toEqual({ kfAccount: 'add', kfSession: 'close', handoff: 'clear', media: 'download', typing: 'set' });
    expect(defaults(2)).toEqual({ kfAccount: 'list', kfSession: 'create', handoff: 'handOff', media: 'upload', typing: 'set' });
  });

  it("offers version 1's first Typing operations in version 1 only", () => {
    expect(values(operationField(1, 'typing')).sort()).toEqual(['cancelTyping', 'set', 'typing']);
    expect(values(operationField(2, 'typing'))).toEqual(['set']);
  });

  it('offers the Gateway-only resources in version 2 only with the Gateway credential', () => {
    const [direct, gateway] = [
      ofVersion(2, 'resource').find((p) => p.displayOptions?.show?.authentication?.[0] === 'direct')!,
      ofVersion(2, 'resource').find((p) => p.displayOptions?.show?.authentication?.[0] === 'gateway')!,
    ];
    for (const gatewayOnly of ['subscription', 'delivery', 'accessToken']) {
      expect(values(direct)).not.toContain(gatewayOnly);
      expect(values(gateway)).toContain(gatewayOnly);
    }
    expect(values(ofVersion(1, 'resource')[0]!)).toContain('subscription');
  });

  it('shows kf accounts, users and subscriptions as resource locators, times as date pickers, events as a multi-select (version 2)', () => {
    const field = (resource: string, operation: string, name: string) =>
      ofVersion(2, name).find(
        (p) => p.displayOptions?.show?.resource?.includes(resource) && p.displayOptions?.show?.operation?.includes(operation),
      )!;
    expect(field('kfSession', 'create', 'kfAccount').type).toBe('resourceLocator');
    expect(field('kfSession', 'create', 'openid').type).toBe('resourceLocator');
    expect(field('subscription', 'delete', 'id').type).toBe('resourceLocator');
    expect(field('kfAccount', 'add', 'kfAccount').type).toBe('string');
    expect(field('delivery', 'list', 'since').type).toBe('dateTime');
    const events = field('subscription', 'create', 'events');
    expect({ type: events.type, values: values(events).sort() }).toEqual({
      type: 'multiOptions',
      values: ['delivery.failed', 'event.*', 'message.*'],
    });
    const v1 = ofVersion(1, 'kfAccount').find((p) => p.displayOptions?.show?.resource?.includes('kfSession'))!;
    expect(v1.type).toBe('string');
  });

  it('labels message types in words', () => {
    const labels = (ofVersion(2, 'msgtype')[0]!.options ?? []).map((o) => (o as { name: string }).name);
    expect(labels).toContain('Mpnews (Deprecated)');
    expect(labels).toContain('News (Link)');
    for (const label of labels) expect(label).not.toMatch(/\([a-z]+\)$|message/);
  });
});

describe('version 1 still runs what it was saved with', () => {
  it('Typing → Typing and Typing → Cancel Typing (the first release) show and hide typing', async () => {
    const openid = await activeUser();
    let r = await harness.run({ authentication: 'direct', resource: 'typing', operation: 'typing', touser: openid }, [{ json: {} }], CRED);
    expect(r.error).toBeUndefined();
    expect(sandbox.requests('/cgi-bin/message/custom/typing').at(-1)!.body).toEqual({ touser: openid, command: 'Typing' });
    r = await harness.run(
      { authentication: 'direct', resource: 'typing', operation: 'cancelTyping', touser: openid },
      [{ json: {} }],
      CRED,
    );
    expect(r.error).toBeUndefined();
    expect(sandbox.requests('/cgi-bin/message/custom/typing').at(-1)!.body).toEqual({ touser: openid, command: 'CancelTyping' });
  });

  it('Typing → Set saved without its operation (the default) is still Set', async () => {
    const openid = await activeUser();
    const r = await harness.run({ authentication: 'direct', resource: 'typing', touser: openid }, [{ json: {} }], CRED);
    expect(r.error).toBeUndefined();
    expect(sandbox.requests('/cgi-bin/message/custom/typing').at(-1)!.body).toEqual({ touser: openid, command: 'Typing' });
  });
});

describe('version 2', () => {
  it('takes resource locator values (By ID) and sends', async () => {
    const openid = await activeUser();
    const r = await harness.run(
      { authentication: 'direct', resource: 'message', operation: 'send', touser: byId(openid), msgtype: 'text', content: 'hi' },
      [{ json: {} }],
      CRED,
      { typeVersion: 2 },
    );
    expect(r.error).toBeUndefined();
    expect(sandbox.messages(openid).at(-1)!.body).toEqual({ touser: openid, msgtype: 'text', text: { content: 'hi' } });
  });

  it("lists kf accounts From List (WeChat's list in Direct mode), narrowed by the filter, and uses the one picked", async () => {
    // Prepare: two kf accounts
    for (const [kfAccount, nickname] of [
      ['kf3001@sandbox', 'Alice'],
      ['kf3002@sandbox', 'Bob'],
    ]) {
      const added = await harness.run(
        { authentication: 'direct', resource: 'kfAccount', operation: 'add', kfAccount, nickname },
        [{ json: {} }],
        CRED,
        { typeVersion: 2 },
      );
      expect(added.error).toBeUndefined();
    }
    // Act
    const all = await harness.listSearch(
      'searchKfAccounts',
      { authentication: 'direct', resource: 'kfAccount', operation: 'update' },
      CRED,
    );
    const bob = await harness.listSearch(
      'searchKfAccounts',
      { authentication: 'direct', resource: 'kfAccount', operation: 'update' },
      CRED,
      'bob',
    );
    const updated = await harness.run(
      {
        authentication: 'direct',
        resource: 'kfAccount',
        operation: 'update',
        kfAccount: fromList(String(bob.results[0]!.value)),
        nickname: 'Robert',
      },
      [{ json: {} }],
      CRED,
      { typeVersion: 2 },
    );
    // Assess
    expect(all.results).toEqual(
      expect.arrayContaining([
        { name: 'Alice (kf3001@sandbox)', value: 'kf3001@sandbox' },
        { name: 'Bob (kf3002@sandbox)', value: 'kf3002@sandbox' },
      ]),
    );
    expect(bob.results).toEqual([{ name: 'Bob (kf3002@sandbox)', value: 'kf3002@sandbox' }]);
    expect(updated.error).toBeUndefined();
    expect(sandbox.requests('/customservice/kfaccount/update').at(-1)!.body).toEqual({ kf_account: 'kf3002@sandbox', nickname: 'Robert' });
  });

  it('simplifies list entries by default, and gives them whole with Simplify off', async () => {
    const list = (simplify?: boolean) =>
      harness.run(
        { authentication: 'direct', resource: 'kfAccount', operation: 'list', ...(simplify === undefined ? {} : { simplify }) },
        [{ json: {} }],
        CRED,
        { typeVersion: 2 },
      );
    const simple = await list();
    const raw = await list(false);
    expect(simple.error).toBeUndefined();
    expect(simple.items.length).toBeGreaterThan(0);
    for (const item of simple.items) expect(Object.keys(item.json).every((k) => ['kf_account', 'kf_nick', 'kf_id'].includes(k))).toBe(true);
    expect(raw.items.some((item) => 'kf_headimgurl' in item.json)).toBe(true);
  });
});
