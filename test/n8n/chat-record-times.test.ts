/**
 * n8n's date picker gives times without an offset (`2026-12-01T08:00:00`), which the product refuses as
 * ambiguous (functions/core/times.ts): the node reads them in the workflow's time zone and sends them with
 * its offset, so chat records picked in the UI still come back. In-process harness, Direct mode, the sandbox.
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { createHarness } from './harness';

const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };
const DAY = 86_400_000;

/** A time as n8n's date picker stores it: no offset. */
const zoneless = (ms: number) => new Date(ms).toISOString().slice(0, 19);

describe("chat records in n8n with the date picker's times", () => {
  let sandbox: Sandbox;
  let harness: ReturnType<typeof createHarness>;
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

  it("reads From and To without an offset in the workflow's time zone, and gets the records", async () => {
    // prepare: a record now; a range wide enough for any time zone (UTC-12 to UTC+14)
    await sandbox.simulateUser('o_picker', { type: 'text', content: 'picked' });
    const range = { starttime: zoneless(Date.now() - 3 * DAY), endtime: zoneless(Date.now() + DAY) };

    // act
    const run = await harness.run(
      { authentication: 'direct', resource: 'chatRecord', operation: 'getMany', ...range, returnAll: true },
      [{ json: {} }],
      CRED,
    );

    // assess
    expect(run.error).toBeUndefined();
    expect(run.items.map((i) => i.json.text)).toContain('picked');
    const asked = sandbox.requests('/customservice/msgrecord/getmsglist').map((r) => (r.body as { starttime: number }).starttime);
    expect(asked.length).toBeGreaterThan(0);
  });
});
