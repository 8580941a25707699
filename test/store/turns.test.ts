/**
 * The turn buffer's conditional writes on dynalite (functions/store/turns.ts draws their timeline): an
 * append is one message per push key, also after its turn was sealed; a seal fails when a message arrived
 * after the closer's read; a cut from a stale read never overwrites a newer one; a publication is claimed
 * once until its lease lapses; the buffer refuses messages beyond its cap.
 */
import { TurnStore, type OpenTurn } from '../../functions/store';
import { TURN_PENDING_CAP, type TurnMessage } from '../../functions/core/turns';
import { fakeClock, startTestDynamo, type TestDynamo } from './helpers';

const message = (n: number, at: number): TurnMessage => ({
  key: `msg:${n}`,
  receivedAt: at,
  detail: {
    appId: 'wx1',
    openid: 'o1',
    message: {
      ToUserName: 'gh',
      FromUserName: 'o1',
      CreateTime: Math.floor(at / 1000),
      MsgType: 'text',
      Content: `m${n}`,
      MsgId: String(n),
    },
  },
});
const event = (n: number) => ({ detailType: 'turn.ready', detail: { n } });

describe('TurnStore', () => {
  let dynamo: TestDynamo;
  let tableName: string;
  const clock = fakeClock(Date.UTC(2026, 11, 7, 10));
  const store = () => new TurnStore({ client: dynamo.client, tableName, appId: 'wx1', now: clock.now });

  beforeAll(async () => {
    dynamo = await startTestDynamo();
  });
  beforeEach(async () => {
    tableName = await dynamo.newTable();
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  test('the first message opens a turn under the fresh id; the next joins it; the same push key is one message', async () => {
    const turns = store();
    const first = await turns.append('o1', message(1, clock.now()), 'T1');
    const second = await turns.append('o1', message(2, clock.now()), 'T-unused');
    const retry = await turns.append('o1', message(1, clock.now()), 'T-unused-2');
    const open = await turns.readOpen('o1');
    expect(first).toMatchObject({ outcome: 'added', turnId: 'T1', opened: true, pending: 1 });
    expect(second).toMatchObject({ outcome: 'added', turnId: 'T1', opened: false, pending: 2 });
    expect(retry).toEqual({ outcome: 'duplicate' });
    expect(open!.messages.map((m) => m.key)).toEqual(['msg:1', 'msg:2']);
  });

  test('a seal from a read that a message arrived after fails; the message stays for the next cut', async () => {
    const turns = store();
    await turns.append('o1', message(1, clock.now()), 'T1');
    const seen = (await turns.readOpen('o1')) as OpenTurn;
    await turns.append('o1', message(2, clock.now()), 'T-unused'); // arrives while the closer works
    const stale = await turns.seal('o1', seen, seen.messages, [], 'T2', { hourStart: clock.now(), turns: 1 });
    const reread = (await turns.readOpen('o1')) as OpenTurn;
    const sealed = await turns.seal('o1', reread, reread.messages, [], 'T2', { hourStart: clock.now(), turns: 1 });
    expect(stale).toBe(false);
    expect(reread.messages.map((m) => m.key)).toEqual(['msg:1', 'msg:2']);
    expect(sealed).toBe(true);
    expect(await turns.readOpen('o1')).toBeUndefined();
  });

  test('after the seal, a retried push of a sealed message is still one message, and a new one opens the next turn', async () => {
    const turns = store();
    await turns.append('o1', message(1, clock.now()), 'T1');
    const seen = (await turns.readOpen('o1')) as OpenTurn;
    await turns.seal('o1', seen, seen.messages, [], 'T-next', { hourStart: clock.now(), turns: 1 });
    const retry = await turns.append('o1', message(1, clock.now()), 'T2');
    const next = await turns.append('o1', message(3, clock.now()), 'T3');
    expect(retry).toEqual({ outcome: 'duplicate' });
    expect(next).toMatchObject({ outcome: 'added', turnId: 'T3', opened: true, pending: 1 });
    expect(await turns.hourly('o1')).toEqual({ hourStart: clock.now(), turns: 1 });
  });

  test('a retried push of a message two turns back is still one message', async () => {
    const turns = store();
    for (const [n, next] of [
      [1, 'T2'],
      [2, 'T3'],
    ] as const) {
      await turns.append('o1', message(n, clock.now()), `T${n}`);
      const seen = (await turns.readOpen('o1')) as OpenTurn;
      expect(await turns.seal('o1', seen, seen.messages, [], next, { hourStart: clock.now(), turns: n })).toBe(true);
    }
    expect(await turns.append('o1', message(1, clock.now()), 'T9')).toEqual({ outcome: 'duplicate' });
  });

  test('the messages left after a cut open the next turn under the id the closer chose', async () => {
    const turns = store();
    for (let n = 1; n <= 3; n++) await turns.append('o1', message(n, clock.now() + n), 'T1');
    const seen = (await turns.readOpen('o1')) as OpenTurn;
    expect(
      await turns.seal('o1', seen, seen.messages.slice(0, 2), seen.messages.slice(2), 'T2', { hourStart: clock.now(), turns: 1 }),
    ).toBe(true);
    const open = (await turns.readOpen('o1')) as OpenTurn;
    expect(open.turnId).toBe('T2');
    expect(open.messages.map((m) => m.key)).toEqual(['msg:3']);
    expect(await turns.append('o1', message(4, clock.now()), 'T-unused')).toMatchObject({ turnId: 'T2', pending: 2 });
  });

  test('a cut never goes back to an older version; the same version again is the same cut', async () => {
    const turns = store();
    expect(await turns.cut('o1', 'T1', { version: 2, event: event(2) })).toBe('cut');
    expect(await turns.cut('o1', 'T1', { version: 2, event: event(2) })).toBe('cut');
    expect(await turns.cut('o1', 'T1', { version: 1, event: event(1) })).toBe('stale');
    expect(await turns.cut('o1', 'T1', { version: 3, event: event(3) })).toBe('cut');
    expect((await turns.readClosed('o1', 'T1'))!.event).toEqual(event(3));
  });

  test('a publication is claimed by one closer until its lease lapses, and never after it was published', async () => {
    const turns = store();
    await turns.cut('o1', 'T1', { version: 1, event: event(1) });
    const [a, b] = await Promise.all([turns.claim('o1', 'T1', 30_000), turns.claim('o1', 'T1', 30_000)]);
    clock.advance(30_001);
    const afterLease = await turns.claim('o1', 'T1', 30_000);
    await turns.published('o1', 'T1');
    clock.advance(60_000);
    const afterPublished = await turns.claim('o1', 'T1', 30_000);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(afterLease).toBe(true);
    expect(afterPublished).toBe(false);
    expect(await turns.claim('o1', 'T-never-cut', 30_000)).toBe(false);
  });

  test(`the buffer holds at most ${TURN_PENDING_CAP} messages waiting`, async () => {
    const turns = store();
    for (let n = 1; n <= TURN_PENDING_CAP; n++) expect((await turns.append('o1', message(n, clock.now()), 'T1')).outcome).toBe('added');
    expect(await turns.append('o1', message(TURN_PENDING_CAP + 1, clock.now()), 'T1')).toEqual({ outcome: 'full' });
  });
});
