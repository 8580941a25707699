/**
 * The conversation history through `startLocal`, against the sandbox over HTTP (docs/conversations.md):
 * a user writes, the product answers (assistant), an agent at the desk takes the user and answers as
 * their kf account (agent), and `GET /conversations/{openid}` answers it all oldest first; `turn.ready`
 * carries the last entries with TURN_HISTORY; bad queries get a 400 naming the field; with
 * CONVERSATION_RECORD off the route says how to turn it on.
 */
import { callProduct as call, useLocalProduct, type LocalProductFixture } from '../support/local-product';

const KF = 'agent1@sandbox';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function control(product: LocalProductFixture, method: string, path: string, body?: unknown) {
  const res = await fetch(`${product.sandbox!.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

async function until(check: () => Promise<boolean> | boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check()) && Date.now() < end) await sleep(50);
}

describe('conversation history', () => {
  const product = useLocalProduct('wechat-kf-conversations-', {
    env: { CONVERSATION_RECORD: 'true', TURN_QUIET_MS: '400', TURN_HISTORY: '3' },
  });

  beforeAll(async () => {
    await call(product, 'POST', '/kf-accounts', { kf_account: KF, nickname: 'Agent' });
    await call(product, 'POST', `/kf-accounts/${KF}/invite`, { invite_wx: 'agent_wx01' });
    await control(product, 'POST', `/sandbox/kf-accounts/${KF}/invitation`, { answer: 'accept' });
    await control(product, 'PUT', `/sandbox/kf-accounts/${KF}/status`, { status: 1 });
  });

  it('answers the user, the assistant and the desk, oldest first, with a description of what is not text', async () => {
    // prepare / act: a user writes and sends a photo; the product answers; an agent takes the user and answers as their kf account
    const openid = 'oConv1';
    await product.sandbox!.simulateUser(openid, { type: 'text', content: 'my lamp is broken' });
    await sleep(5);
    await product.sandbox!.simulateUser(openid, { type: 'image' });
    const bot = await call(product, 'POST', '/messages', {
      touser: openid,
      msgtype: 'text',
      text: { content: 'Sorry! Let me get a person.' },
    });
    const session = await call(product, 'POST', '/kf-sessions', { kf_account: KF, openid });
    await until(async () => (await call(product, 'GET', `/conversations/${openid}`)).json.entries?.some((e: any) => e.role === 'agent'));
    const human = await call(product, 'POST', '/messages', {
      touser: openid,
      msgtype: 'text',
      text: { content: 'Hi, I am Ana.' },
      customservice: { kf_account: KF },
    });
    const all = await call(product, 'GET', `/conversations/${openid}`);
    const lastTwo = await call(product, 'GET', `/conversations/${openid}?limit=2`);
    const earlier = await call(product, 'GET', `/conversations/${openid}?limit=2&before=${encodeURIComponent(lastTwo.json.before)}`);

    // assess
    expect([bot.status, session.status, human.status]).toEqual([200, 200, 200]);
    expect(all.status).toBe(200);
    expect(all.json.openid).toBe(openid);
    const entries = all.json.entries as Array<{ role: string; type: string; text: string; at: string; kfAccount?: string }>;
    expect(entries.map((e) => [e.role, e.text])).toEqual([
      ['user', 'my lamp is broken'],
      ['user', '[image]'],
      ['assistant', 'Sorry! Let me get a person.'],
      ['agent', `[${KF} took the conversation]`],
      ['agent', 'Hi, I am Ana.'],
    ]);
    expect(entries[4]!.kfAccount).toBe(KF);
    expect(entries.map((e) => Date.parse(e.at))).toEqual([...entries.map((e) => Date.parse(e.at))].sort((a, b) => a - b));
    expect(lastTwo.json.entries.map((e: any) => e.text)).toEqual([`[${KF} took the conversation]`, 'Hi, I am Ana.']);
    expect(earlier.json.entries.map((e: any) => e.text)).toEqual(['[image]', 'Sorry! Let me get a person.']);
  }, 20_000);

  it('gives turn.ready the last TURN_HISTORY entries before the turn', async () => {
    const openid = 'oConv2';
    await product.sandbox!.simulateUser(openid, { type: 'text', content: 'first question' });
    await until(() => product.events.events.some((e) => e.detailType === 'turn.ready' && e.detail.openid === openid));
    await call(product, 'POST', '/messages', { touser: openid, msgtype: 'text', text: { content: 'first answer' } });
    await product.sandbox!.simulateUser(openid, { type: 'text', content: 'second question' });
    await until(() => product.events.events.filter((e) => e.detailType === 'turn.ready' && e.detail.openid === openid).length === 2);

    const turns = product.events.events
      .filter((e) => e.detailType === 'turn.ready' && e.detail.openid === openid)
      .map((e) => e.detail as any);
    expect(turns[0].history).toEqual([]);
    expect(turns[1].text).toBe('second question');
    expect(turns[1].history.map((e: any) => [e.role, e.text])).toEqual([
      ['user', 'first question'],
      ['assistant', 'first answer'],
    ]);
  }, 20_000);

  it("WeChat's retry of a push that failed after the turn took it is one message in the turn and one entry", async () => {
    // prepare: the history's write fails once, after the turn's buffer took the message: the callback answers
    // 500 and the sandbox, as WeChat, pushes the same message again
    const openid = 'oConvRetry';
    const conversations = product.context.conversations!;
    const record = conversations.record.bind(conversations);
    let failures = 0;
    conversations.record = async (...args) => {
      if (args[0] === openid && failures++ === 0) throw new Error('simulated DynamoDB failure');
      return record(...args);
    };
    try {
      // act
      const pushed = await product.sandbox!.simulateUser(openid, { type: 'text', content: 'only once' });
      await until(() => product.events.events.some((e) => e.detailType === 'turn.ready' && e.detail.openid === openid));
      await sleep(800);
      // assess
      expect(pushed.tries.map((t) => t.status)).toEqual([500, 200]);
      const turns = product.events.events.filter((e) => e.detailType === 'turn.ready' && e.detail.openid === openid);
      expect(turns).toHaveLength(1);
      expect((turns[0]!.detail.messages as unknown[]).length).toBe(1);
      const history = await call(product, 'GET', `/conversations/${openid}`);
      expect(history.json.entries.map((e: any) => e.text)).toEqual(['only once']);
    } finally {
      conversations.record = record;
    }
  }, 15_000);

  it('refuses a bad query with a 400 naming the field', async () => {
    const badLimit = await call(product, 'GET', '/conversations/oConv1?limit=0');
    const badBefore = await call(product, 'GET', '/conversations/oConv1?before=yesterday');
    const badOpenid = await call(product, 'GET', `/conversations/${'o'.repeat(200)}`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.json.error.message).toContain('limit');
    expect(badBefore.status).toBe(400);
    expect(badBefore.json.error.message).toContain('before');
    expect(badOpenid.status).toBe(400);
    expect(badOpenid.json.error.message).toContain('openid');
  });
});

describe('conversation history off (the default)', () => {
  const product = useLocalProduct('wechat-kf-conversations-off-');

  it('keeps nothing and says how to turn it on', async () => {
    await product.sandbox!.simulateUser('oConvOff', { type: 'text', content: 'hello' });
    const answer = await call(product, 'GET', '/conversations/oConvOff');
    expect(answer.status).toBe(409);
    expect(answer.json.error.code).toBe('CONVERSATION_RECORD_OFF');
    expect(answer.json.error.message).toContain('CONVERSATION_RECORD=true');
  });
});
