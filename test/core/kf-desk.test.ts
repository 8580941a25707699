/**
 * Every desk operation of the catalogue through the core client, against the sandbox over HTTP on a
 * hand-moved clock: online agents, invitations, sessions (with the 48-hour rule), waiting users and chat
 * records over a range the product must split; WeChat's refusals become errors with errcode and hint.
 */
import { FetchTransport, InMemoryTokenProvider, WeChatApiError, WeChatClient } from '../../functions/core';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';

const HOUR = 3_600_000;
// A whole hour 30 days ago: chat records are read back at most 365 days (core/msg-records.ts RECORD_RETENTION_DAYS).
const START = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 30 * 86_400_000;
const KF = 'desk1@sandbox';

describe('desk operations through the client', () => {
  let sandbox: Sandbox;
  let client: WeChatClient;
  let clock = START;

  const control = (method: string, path: string, body: unknown) => fetch(`${sandbox.url}${path}`, { method, body: JSON.stringify(body) });

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true, now: () => clock, tokenTtlSeconds: 30 * 86400 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  beforeEach(async () => {
    sandbox.reset();
    clock = START;
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
    await client.call('addKfAccount', { kf_account: KF, nickname: 'Desk' });
  });

  async function onlineAgent() {
    await client.call('inviteKfWorker', { kf_account: KF, invite_wx: 'desk_wx001' });
    await control('POST', `/sandbox/kf-accounts/${KF}/invitation`, { answer: 'accept' });
    await control('PUT', `/sandbox/kf-accounts/${KF}/status`, { status: 3 });
  }

  it('invites, lists online agents, creates, reads, lists and closes a session', async () => {
    // prepare
    await sandbox.simulateUser('o_desk', { type: 'text', content: 'hi' });

    // act
    const invited = await client.call('inviteKfWorker', { kf_account: KF, invite_wx: 'desk_wx001' });
    const listed = await client.call('listKfAccounts', {});
    await control('POST', `/sandbox/kf-accounts/${KF}/invitation`, { answer: 'accept' });
    await control('PUT', `/sandbox/kf-accounts/${KF}/status`, { status: 3 });
    const online = await client.call('listOnlineKfAccounts', {});
    await client.call('createKfSession', { kf_account: KF, openid: 'o_desk' });
    const session = await client.call('getKfSession', { openid: 'o_desk' });
    const sessions = await client.call('listKfSessions', { kf_account: KF });
    const waiting = await client.call('listWaitingUsers', {});
    await client.call('closeKfSession', { kf_account: KF, openid: 'o_desk' });

    // assess
    expect(invited).toMatchObject({ errcode: 0 });
    expect((listed.kf_list as any[])[0]).toMatchObject({ invite_wx: 'desk_wx001', invite_status: 'waiting' });
    expect(online.kf_online_list).toEqual([expect.objectContaining({ kf_account: KF, status: 3, accepted_case: 0 })]);
    expect(session).toMatchObject({ kf_account: KF, createtime: START / 1000 });
    expect(sessions.sessionlist).toEqual([{ openid: 'o_desk', createtime: START / 1000 }]);
    expect(waiting).toMatchObject({ count: 0, waitcaselist: [] });
    expect(sandbox.requests('/customservice/kfsession/close')).toHaveLength(1);
  });

  it('refuses a session for a user who has not written in 48 hours: 65413 with a hint that says so', async () => {
    // prepare
    await onlineAgent();
    await sandbox.simulateUser('o_quiet', { type: 'text', content: 'hi' });
    clock += 48 * HOUR;

    // act
    const error = await client.call('createKfSession', { kf_account: KF, openid: 'o_quiet' }).catch((e: unknown) => e);

    // assess
    expect(error).toBeInstanceOf(WeChatApiError);
    expect(error).toMatchObject({ errcode: 65413, status: 502 });
    expect((error as WeChatApiError).toBody().error).toMatchObject({ errcode: 65413, hint: expect.stringMatching(/48 hours/) });
  });

  it('refuses a session with an agent who is offline: 65415', async () => {
    // prepare
    await client.call('inviteKfWorker', { kf_account: KF, invite_wx: 'desk_wx001' });
    await control('POST', `/sandbox/kf-accounts/${KF}/invitation`, { answer: 'accept' });
    await sandbox.simulateUser('o_desk', { type: 'text', content: 'hi' });

    // act
    const error = await client.call('createKfSession', { kf_account: KF, openid: 'o_desk' }).catch((e: unknown) => e);

    // assess
    expect(error).toMatchObject({ errcode: 65415 });
    expect((error as WeChatApiError).toBody().error.hint).toMatch(/logged in/);
  });

  it('gets chat records over three days as one list, in windows WeChat accepts', async () => {
    // prepare
    for (const [offset, content] of [
      [0, 'day one'],
      [26 * HOUR, 'day two'],
      [50 * HOUR, 'day three'],
    ] as const) {
      clock = START + offset;
      await sandbox.simulateUser('o_rec', { type: 'text', content });
    }

    // act
    const result = await client.call('getChatRecords', {
      starttime: new Date(START).toISOString(),
      endtime: new Date(START + 72 * HOUR).toISOString(),
    });

    // assess
    expect((result.recordlist as any[]).map((r) => r.text)).toEqual(['day one', 'day two', 'day three']);
    expect(result.more).toBe(false);
    const windows = sandbox.requests('/customservice/msgrecord/getmsglist').map((r) => r.body as { starttime: number; endtime: number });
    expect(windows).toHaveLength(4);
    expect(windows.every((w) => w.endtime - w.starttime < 86_400)).toBe(true);
    expect(
      sandbox
        .requests('/customservice/msgrecord/getmsglist')
        .every((r) => (r.answer?.body as { errcode?: number } | undefined)?.errcode === undefined),
    ).toBe(true);
  });
});
