import { HandoffStore, WindowStore } from '../../functions/store';
import { useTestTable } from './helpers';

describe('HandoffStore', () => {
  const at = (s: number) => Date.UTC(2025, 0, 1) + s * 1000;
  const { dynamo, table, clock } = useTestTable(at(1000));
  let handoffs: HandoffStore;
  let windows: WindowStore;

  beforeEach(() => {
    handoffs = new HandoffStore({ client: dynamo.client, tableName: table.name, appId: 'wx1', now: clock.now });
    windows = new WindowStore({ client: dynamo.client, tableName: table.name, appId: 'wx1', now: clock.now });
  });

  test('a mark lasts 30 minutes by default, expiry checked in code', async () => {
    // Prepare
    await handoffs.mark('o1');

    // Act
    const during = await handoffs.read('o1');
    clock.advance(30 * 60_000);
    const after = await handoffs.read('o1');

    // Assess
    expect(during.mark).toEqual({ markedAt: at(1000), until: at(1000) + 30 * 60_000 });
    expect(during.humanSession).toBeNull();
    expect(after.mark).toBeUndefined();
  });

  test('a mark names an agent and has its own ttl; a new mark replaces it; clear answers whether one was in force', async () => {
    // Act
    await handoffs.mark('o1', { kfAccount: 'kf1@wx', ttlMs: 60_000 });
    const named = await handoffs.read('o1');
    await handoffs.mark('o1', { ttlMs: 120_000 });
    const replaced = await handoffs.read('o1');
    const cleared = await handoffs.clear('o1');
    const again = await handoffs.clear('o1');
    const never = await handoffs.clear('o_never');

    // Assess
    expect(named.mark).toEqual({ kf_account: 'kf1@wx', markedAt: at(1000), until: at(1060) });
    expect(replaced.mark).toEqual({ markedAt: at(1000), until: at(1120) });
    expect([cleared, again, never]).toEqual([true, false, false]);
    expect((await handoffs.read('o1')).mark).toBeUndefined();
  });

  test('create opens the human session and consumes the mark; switch keeps since; close ends it', async () => {
    // Prepare
    await handoffs.mark('o1');

    // Act
    const created = await handoffs.recordSession('o1', 'create', 'kf1@wx', at(990));
    const switched = await handoffs.recordSession('o1', 'switch', 'kf2@wx', at(995));
    const closed = await handoffs.recordSession('o1', 'close', 'kf2@wx', at(999));

    // Assess
    expect(created).toEqual({ humanSession: { kf_account: 'kf1@wx', since: at(990) } });
    expect(switched.humanSession).toEqual({ kf_account: 'kf2@wx', since: at(990) });
    expect(closed).toEqual({ humanSession: null });
  });

  test('a late create (a retried push) does not reopen a closed session, and close wins a tie in its second', async () => {
    // Prepare
    await handoffs.recordSession('o1', 'create', 'kf1@wx', at(900));
    await handoffs.recordSession('o1', 'close', 'kf1@wx', at(950));
    await handoffs.recordSession('o2', 'close', 'kf1@wx', at(960));

    // Act
    const late = await handoffs.recordSession('o1', 'create', 'kf1@wx', at(900));
    const sameSecond = await handoffs.recordSession('o2', 'create', 'kf1@wx', at(960));

    // Assess
    expect(late.humanSession).toBeNull();
    expect(sameSecond.humanSession).toBeNull();
  });

  test('lives on the window item beside the window, neither disturbing the other', async () => {
    // Prepare
    await windows.recordInbound('o1', 'message', at(1000));
    await windows.acquireSend('o1');

    // Act
    await handoffs.mark('o1', { kfAccount: 'kf1@wx' });
    await handoffs.recordSession('o1', 'create', 'kf1@wx', at(1000));
    clock.advance(1000);
    await windows.recordInbound('o1', 'message', at(1001));
    const state = await windows.state('o1');
    const handoff = await handoffs.read('o1');

    // Assess
    expect(state.sendsLeft).toBe(5);
    expect(state.canSend).toBe(true);
    expect(handoff.humanSession).toEqual({ kf_account: 'kf1@wx', since: at(1000) });
  });
});
