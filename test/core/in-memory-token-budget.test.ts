/**
 * The forced-refresh budget of the in-process token cache (what n8n's direct mode keeps per credential,
 * n8n-nodes/shared/direct-tokens.ts): 20 a day by Beijing day, 30 s apart, normal mode always first.
 * Against the sandbox over HTTP, on one hand-moved clock shared by the cache and the sandbox (which
 * enforces WeChat's own limits: a test notices if the two disagree).
 */
import { TokenRefreshBudgetError } from '../../functions/core/errors';
import { beijingDay, InMemoryTokenProvider } from '../../functions/core/token';
import { FetchTransport } from '../../functions/core/transport';
import type { Sandbox } from '../../functions/dev/sandbox';
import { sandboxWithClock, type Clock } from '../sandbox/helpers';

let sandbox: Sandbox;
let clock: Clock;
let tokens: InMemoryTokenProvider;

beforeEach(async () => {
  ({ sandbox, clock } = await sandboxWithClock());
  // 02:00 UTC = 10:00 in Beijing.
  clock.t = Date.UTC(2026, 5, 1, 2, 0, 0);
  tokens = new InMemoryTokenProvider({
    transport: new FetchTransport(),
    baseUrl: sandbox.url,
    appId: sandbox.appId,
    appSecret: sandbox.appSecret,
    now: clock.now,
  });
});

afterEach(async () => {
  await sandbox?.stop();
});

const forcedFlags = () => sandbox.requests('/cgi-bin/stable_token').map((r) => (r.body as { force_refresh?: boolean }).force_refresh);

/** WeChat refuses the current token although stable_token still hands it out; the cache is asked again. */
async function refuseCurrent(): Promise<string> {
  const { value } = await tokens.getToken();
  await tokens.invalidate(value);
  return (await tokens.getToken()).value;
}

describe('the in-process forced-refresh budget', () => {
  it('forces 20 times in a Beijing day, 30 s apart, then refuses with the daily limit and the next midnight', async () => {
    // prepare
    await tokens.getToken();
    for (let i = 0; i < 20; i++) {
      clock.advance(31_000);
      await refuseCurrent();
    }
    const requests = sandbox.requests('/cgi-bin/stable_token').length;
    clock.advance(31_000);
    // act
    const error = await refuseCurrent().catch((e: unknown) => e);
    // assess
    expect(error).toBeInstanceOf(TokenRefreshBudgetError);
    expect(error).toMatchObject({ limit: 'daily', nextForceAt: (beijingDay(clock.t) + 1) * 86_400_000 - 8 * 3_600_000 });
    expect((error as Error).message).toMatch(
      /all 20 of today \(Beijing time\) are used; the next is possible at 2026-06-01T16:00:00\.000Z/,
    );
    // Normal mode was asked, a force was not.
    expect(forcedFlags().slice(requests)).toEqual([false]);
    expect(forcedFlags().filter((f) => f === true)).toHaveLength(20);
  });

  it('a new Beijing day brings the budget back', async () => {
    // prepare
    await tokens.getToken();
    for (let i = 0; i < 20; i++) {
      clock.advance(31_000);
      await refuseCurrent();
    }
    clock.t = Date.UTC(2026, 5, 1, 16, 0, 1); // 00:00:01 on 2 June in Beijing
    const before = (await tokens.getToken()).value;
    // act
    const after = await refuseCurrent();
    // assess
    expect(after).not.toBe(before);
    expect(forcedFlags().at(-1)).toBe(true);
  });

  it('a second force within 30 s is refused with the spacing limit, and recovers once 30 s have passed', async () => {
    // prepare
    await tokens.getToken();
    await refuseCurrent();
    const forcedAt = clock.t;
    clock.advance(10_000);
    // act
    const error = await refuseCurrent().catch((e: unknown) => e);
    clock.advance(20_000);
    const later = await tokens.getToken();
    // assess
    expect(error).toMatchObject({ limit: 'spacing', nextForceAt: forcedAt + 30_000, retryable: true });
    expect(later.value).toMatch(/.+/);
    expect(forcedFlags()).toEqual([false, false, true, false, false, true]);
  });

  it('when another system forced a refresh, normal mode hands back the new token and nothing is forced', async () => {
    // prepare
    const mine = (await tokens.getToken()).value;
    await fetch(`${sandbox.url}/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credential', appid: sandbox.appId, secret: sandbox.appSecret, force_refresh: true }),
    });
    // act
    await tokens.invalidate(mine);
    const next = (await tokens.getToken()).value;
    // assess
    expect(next).not.toBe(mine);
    expect(forcedFlags()).toEqual([false, true, false]);
  });
});
