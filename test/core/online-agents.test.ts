/**
 * The out-of-hours check of keyword handoff (functions/core/inbound/online-agents.ts): getonlinekflist is
 * asked at most once a minute, and a WeChat that cannot say counts as "online" (the user is transferred).
 */
import { cachedAgentsOnline } from '../../functions/core/inbound';
import { fakeClock } from '../support/dynamo';

describe('cachedAgentsOnline', () => {
  it('asks WeChat at most once a minute, and again after it', async () => {
    const clock = fakeClock();
    const answers = [{ kf_online_list: [] }, { kf_online_list: [{ kf_account: 'agent1@wx', status: 1 }] }];
    let asked = 0;
    const online = cachedAgentsOnline(async () => answers[asked++]!, clock.now);

    const first = await online();
    clock.advance(59_000);
    const cached = await online();
    clock.advance(1_000);
    const fresh = await online();

    expect([first, cached, fresh]).toEqual([false, false, true]);
    expect(asked).toBe(2);
  });

  it('answers online when WeChat cannot say, tells why, and asks again next time', async () => {
    const errors: unknown[] = [];
    let asked = 0;
    const online = cachedAgentsOnline(
      async () => {
        asked++;
        throw new Error('errcode 40164: invalid ip');
      },
      () => 0,
      (e) => errors.push(e),
    );

    expect(await online()).toBe(true);
    expect(await online()).toBe(true);
    expect(asked).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['errcode 40164: invalid ip', 'errcode 40164: invalid ip']);
  });
});
