/**
 * Chat records over any range, against the sandbox over HTTP: 24-hour windows, msgid cursors, the limit,
 * the call budget and its `next` cursor, and the input rules.
 */
import { collectMsgRecords, parseMsgRecordsInput } from '../../functions/core/msg-records';
import { FetchTransport, InMemoryTokenProvider, ValidationError, WeChatClient, type WeChatRequestSpec } from '../../functions/core';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';

const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 6, 0, 0, 0);

describe('chat records over any range', () => {
  let sandbox: Sandbox;
  let client: WeChatClient;
  let clock = START;
  let requests: WeChatRequestSpec[];
  const request = (spec: WeChatRequestSpec) => {
    requests.push(spec);
    return client.request(spec);
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true, now: () => clock, tokenTtlSeconds: 30 * 86400 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  beforeEach(() => {
    sandbox.reset();
    clock = START;
    requests = [];
    const transport = new FetchTransport({ timeoutMs: 5000 });
    client = new WeChatClient({
      transport,
      tokens: new InMemoryTokenProvider({
        transport,
        baseUrl: sandbox.url,
        appId: sandbox.appId,
        appSecret: sandbox.appSecret,
        now: () => clock,
      }),
      baseUrl: sandbox.url,
    });
  });

  /** n messages from a user, one a minute, starting at `at`. */
  async function write(at: number, n: number, prefix: string) {
    for (let i = 0; i < n; i++) {
      clock = at + i * 60_000;
      await sandbox.simulateUser('o_rec', { type: 'text', content: `${prefix}${i}` });
    }
  }

  it('splits a three-day range into 24-hour windows and returns one list in order', async () => {
    // prepare
    await write(START + 1000, 2, 'a');
    await write(START + DAY + 5000, 2, 'b');
    await write(START + 2 * DAY + 5000, 1, 'c');
    clock = START + 3 * DAY;
    const input = parseMsgRecordsInput({ starttime: new Date(START).toISOString(), endtime: (START + 3 * DAY) / 1000, limit: 100 });

    // act
    const result = await collectMsgRecords(request, input);

    // assess
    expect(result.recordlist.map((r) => r.text)).toEqual(['a0', 'a1', 'b0', 'b1', 'c0']);
    expect(result).toMatchObject({ number: 5, more: false });
    const windows = requests.map((r) => r.json as { starttime: number; endtime: number });
    expect(windows.length).toBe(4);
    for (const w of windows) expect(w.endtime - w.starttime).toBeLessThan(86_400);
    expect(windows[1]!.starttime).toBe(windows[0]!.endtime + 1);
  });

  it('pages a window by msgid until fewer than asked come back, and stops at the limit with a next cursor', async () => {
    // prepare
    await write(START, 7, 'm');
    const input = parseMsgRecordsInput({ starttime: START / 1000, endtime: START / 1000 + 3600, limit: 5 });

    // act
    const first = await collectMsgRecords(request, input);
    const rest = await collectMsgRecords(
      request,
      parseMsgRecordsInput({ starttime: first.next!.starttime, endtime: START / 1000 + 3600, msgid: first.next!.msgid, limit: 5 }),
    );

    // assess
    expect(first.recordlist.map((r) => r.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(first.more).toBe(true);
    expect(rest.recordlist.map((r) => r.text)).toEqual(['m5', 'm6']);
    expect(rest.more).toBe(false);
  });

  it('stops after its call budget with a cursor to continue from', async () => {
    // prepare
    await write(START, 1, 'x');
    const input = parseMsgRecordsInput({ starttime: START / 1000, endtime: START / 1000 + 10 * 86_400, limit: 100 });

    // act
    const result = await collectMsgRecords(request, input, { maxCalls: 3 });

    // assess
    expect(requests).toHaveLength(3);
    expect(result).toMatchObject({ number: 1, more: true, next: { starttime: START / 1000 + 3 * 86_400, msgid: 1 } });
  });

  it('refuses bad inputs naming the field', () => {
    // act / assess
    expect(() => parseMsgRecordsInput({ starttime: 'yesterday', endtime: 1 })).toThrow(ValidationError);
    expect(() => parseMsgRecordsInput({ starttime: 2000, endtime: 1000 })).toThrow(/endtime: must not be before starttime/);
    expect(() => parseMsgRecordsInput({ starttime: 1000, endtime: 2000, limit: 10_001 })).toThrow(/limit/);
    expect(() => parseMsgRecordsInput({ endtime: 2000 })).toThrow(/starttime: is required/);
  });
});
