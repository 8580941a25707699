/**
 * GET /sandbox/stream: the sandbox's feed as server-sent events, read over real HTTP the way a browser's
 * EventSource reads it (event / id / data lines, Last-Event-ID on reconnect), and the secrets masked in
 * what it and GET /sandbox/requests show.
 */
import type { Sandbox } from '../../functions/dev/sandbox';
import { call, postJson, sandboxWithClock, stableToken, classicTokenUrl, getJson, type Json } from './helpers';

interface Sse {
  event: string;
  id?: string;
  data: Json;
}

/** Reads a stream until `until` says stop (or 5 s pass), then closes it. */
async function readStream(url: string, until: (events: Sse[]) => boolean, headers: Record<string, string> = {}): Promise<Sse[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  const res = await fetch(url, { headers, signal: controller.signal });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: Sse[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split('\n')) {
          const m = /^(\w+): ?(.*)$/.exec(line);
          if (m) fields[m[1]!] = m[2]!;
        }
        if (fields.event && fields.data) events.push({ event: fields.event, id: fields.id, data: JSON.parse(fields.data) as Json });
      }
      if (until(events)) break;
    }
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

describe('sandbox: GET /sandbox/stream', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    ({ sandbox } = await sandboxWithClock());
  });
  afterEach(async () => sandbox.stop());

  it('sends what happens as it happens: the push, the message accepted, the typing, the request and the user state', async () => {
    // Prepare: a stream open before anything happens
    const reading = readStream(`${sandbox.url}/sandbox/stream`, (events) => events.some((e) => e.event === 'message'));
    await new Promise((r) => setTimeout(r, 100));
    // Act: a user writes in, the account shows typing and answers
    await sandbox.simulateUser('oAlice', { type: 'text', content: 'hello' });
    const token = (await stableToken(sandbox)).access_token as string;
    await call(sandbox, token, '/cgi-bin/message/custom/typing', { touser: 'oAlice', command: 'Typing' });
    await call(sandbox, token, '/cgi-bin/message/custom/send', { touser: 'oAlice', msgtype: 'text', text: { content: 'Hi Alice' } });
    const events = await reading;
    // Assess
    const types = events.map((e) => e.event);
    expect(types[0]).toBe('hello');
    expect(types).toEqual(expect.arrayContaining(['push', 'user', 'request', 'typing', 'message']));
    expect(types.indexOf('push')).toBeLessThan(types.indexOf('typing'));
    expect(types.indexOf('typing')).toBeLessThan(types.indexOf('message'));
    const push = events.find((e) => e.event === 'push')!.data;
    expect(push).toMatchObject({ openid: 'oAlice', action: { type: 'text', content: 'hello' }, result: { delivered: false, attempts: 0 } });
    expect(events.find((e) => e.event === 'message')!.data).toMatchObject({
      openid: 'oAlice',
      msgtype: 'text',
      body: { text: { content: 'Hi Alice' } },
    });
    const lastUser = events.filter((e) => e.event === 'user').at(-1)!.data;
    expect(lastUser.user).toMatchObject({ openid: 'oAlice', window: { kind: 'message', sends: 1, maxSends: 5 } });
    // ids are increasing and name this sandbox run
    const ids = events.filter((e) => e.id).map((e) => Number(e.id!.split('.')[1]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('masks the AppSecret and every access token in the stream and in GET /sandbox/requests', async () => {
    // Prepare / Act: both token endpoints, then a call with the token
    const token = (await stableToken(sandbox)).access_token as string;
    const classic = (await getJson(classicTokenUrl(sandbox))).access_token as string;
    await sandbox.simulateUser('oBob', { type: 'text', content: 'hi' });
    await call(sandbox, token, '/cgi-bin/message/custom/send', { touser: 'oBob', msgtype: 'text', text: { content: 'x' } });
    const streamed = await readStream(`${sandbox.url}/sandbox/stream`, (events) => events.filter((e) => e.event === 'request').length >= 3);
    const listed = await getJson(`${sandbox.url}/sandbox/requests`);
    // Assess
    const text = JSON.stringify(streamed) + JSON.stringify(listed);
    for (const secret of [sandbox.appSecret, token, classic]) expect(text).not.toContain(secret);
    expect(listed.requests.map((r: Json) => r.path)).toEqual(['/cgi-bin/stable_token', '/cgi-bin/token', '/cgi-bin/message/custom/send']);
    expect(listed.requests[0].body.secret).toBe('***');
    expect(listed.requests[0].answer.body.access_token).toBe('***');
    expect(listed.requests[1].query.secret).toBe('***');
    expect(listed.requests[2].query.access_token).toBe('***');
    // what the sandbox itself recorded is untouched, for tests that need it
    expect(sandbox.requests('/cgi-bin/message/custom/send')[0]!.query.access_token).toBe(token);
  });

  it('replays only what a reconnecting client missed (Last-Event-ID), and everything after a restart', async () => {
    // Prepare: one user action seen by a first connection
    await sandbox.simulateUser('oCarol', { type: 'text', content: 'one' });
    const first = await readStream(`${sandbox.url}/sandbox/stream`, (events) => events.some((e) => e.event === 'user'));
    const lastId = first.filter((e) => e.id).at(-1)!.id!;
    // Act: more happens while disconnected; then reconnect with Last-Event-ID, and with another run's id
    await sandbox.simulateUser('oCarol', { type: 'text', content: 'two' });
    const resumed = await readStream(`${sandbox.url}/sandbox/stream`, (events) => events.some((e) => e.event === 'user'), {
      'last-event-id': lastId,
    });
    const foreign = await readStream(`${sandbox.url}/sandbox/stream`, (events) => events.filter((e) => e.event === 'push').length >= 2, {
      'last-event-id': 'abc123.1',
    });
    // Assess
    expect(resumed[0]!.data.replayFrom).toBe(Number(lastId.split('.')[1]));
    expect(resumed.filter((e) => e.event === 'push').map((e) => e.data.action.content)).toEqual(['two']);
    expect(foreign[0]!.data.replayFrom).toBe(0);
    expect(foreign.filter((e) => e.event === 'push').map((e) => e.data.action.content)).toEqual(['one', 'two']);
  });

  it('keeps to one user with ?openid=, and tells of a reset', async () => {
    // Prepare
    await sandbox.simulateUser('oDan', { type: 'text', content: 'from dan' });
    await sandbox.simulateUser('oEve', { type: 'text', content: 'from eve' });
    // Act
    const reading = readStream(`${sandbox.url}/sandbox/stream?openid=oEve`, (events) => events.some((e) => e.event === 'reset'));
    await new Promise((r) => setTimeout(r, 100));
    await postJson(`${sandbox.url}/sandbox/reset`, {});
    const events = await reading;
    // Assess
    const openids = events.filter((e) => e.event === 'push' || e.event === 'user').map((e) => e.data.openid);
    expect(new Set(openids)).toEqual(new Set(['oEve']));
    expect(events.at(-1)!.event).toBe('reset');
  });
});
