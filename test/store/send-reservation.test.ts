import { NotEnoughSendsError, SendWindowClosedError } from '../../functions/core/errors';
import { WindowStore, type WindowPolicy } from '../../functions/store';
import type { RulesProfile } from '../../functions/core/limits';
import { useTestTable } from './helpers';

const APP_ID = 'wx-reservation-app';

describe('WindowStore.acquireSends: all the sends of a split text, in one conditional write', () => {
  const { dynamo, table, clock } = useTestTable();

  const store = (options: { profile?: RulesProfile; policy?: WindowPolicy } = {}) =>
    new WindowStore({ client: dynamo.client, tableName: table.name, appId: APP_ID, now: clock.now, ...options });

  it('reserves every part at once and counts them all', async () => {
    // prepare
    const windows = store();
    await windows.recordInbound('o_split', 'message', clock.now());

    // act
    const permit = await windows.acquireSends('o_split', 4);

    // assess
    expect(permit.count).toBe(4);
    expect((await windows.state('o_split')).sendsLeft).toBe(1);
  });

  it('refuses more parts than sends left, with both numbers, and counts nothing', async () => {
    // prepare
    const windows = store();
    await windows.recordInbound('o_short', 'message', clock.now());
    await windows.acquireSend('o_short');
    await windows.acquireSend('o_short');

    // act
    const refused = await windows.acquireSends('o_short', 4).catch((e: unknown) => e);

    // assess
    expect(refused).toBeInstanceOf(NotEnoughSendsError);
    expect(refused).toMatchObject({ status: 409, code: 'NOT_ENOUGH_SENDS', parts: 4, sendsLeft: 3 });
    expect((refused as Error).message).toMatch(/needs 4 parts.*has 3 sends left.*nothing was sent/);
    expect((await windows.state('o_short')).sendsLeft).toBe(3);
  });

  it('refuses a closed window as closed, whatever the number of parts', async () => {
    // prepare
    const windows = store();

    // act
    const refused = await windows.acquireSends('o_nobody', 2).catch((e: unknown) => e);

    // assess
    expect(refused).toBeInstanceOf(SendWindowClosedError);
    expect(refused).toMatchObject({ reason: 'no-interaction' });
  });

  it('lets exactly one of two racing 3-part sends through a 5-send window', async () => {
    // prepare
    const windows = store();
    await windows.recordInbound('o_race', 'message', clock.now());

    // act
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => windows.acquireSends('o_race', 3)));

    // assess
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason);
    expect(refused.every((e) => e instanceof NotEnoughSendsError && e.sendsLeft === 2)).toBe(true);
    expect((await windows.state('o_race')).sendsLeft).toBe(2);
  });

  it('gives unused parts back, never more than it reserved', async () => {
    // prepare
    const windows = store();
    await windows.recordInbound('o_back', 'message', clock.now());
    const other = await windows.acquireSend('o_back');
    const permit = await windows.acquireSends('o_back', 3);

    // act
    await permit.release(2);
    const afterTwo = (await windows.state('o_back')).sendsLeft;
    await permit.release(5);
    const afterRest = (await windows.state('o_back')).sendsLeft;
    await permit.release();

    // assess
    expect(afterTwo).toBe(3);
    expect(afterRest).toBe(4); // the one held by `other` stays counted
    expect((await windows.state('o_back')).sendsLeft).toBe(4);
    expect(other.count).toBe(1);
  });

  it('under observe, lets a send through that enforce would refuse, and says why', async () => {
    // prepare
    const windows = store({ policy: 'observe' });
    await windows.recordInbound('o_obs', 'message', clock.now());

    // act
    const permit = await windows.acquireSends('o_obs', 6);

    // assess
    expect(permit.observedRefusal).toBe('not-enough-sends');
    expect(permit.observedError).toBeInstanceOf(NotEnoughSendsError);
  });

  it('has no count to check under the 2017 rules', async () => {
    // prepare
    const windows = store({ profile: 'seed' });
    await windows.recordInbound('o_seed', 'message', clock.now());

    // act
    const permit = await windows.acquireSends('o_seed', 12);

    // assess
    expect(permit.count).toBe(12);
  });
});
