import { encryptMessage, type Sandbox } from '../../functions/dev/sandbox';
import {
  call,
  classicToken,
  getJson,
  HOUR,
  MINUTE,
  postJson,
  useSandbox,
  jpeg,
  sendText,
  sha1Sorted,
  startReceiver,
  uploadMedia,
  type Json,
} from './helpers';

const KF = 'alice@sandbox';
const KF2 = 'bob@sandbox';
const USER = 'o_desk_user';
const TOKEN = 'AAAAA';
const KEY = 'B'.repeat(43);

describe('sandbox customer-service desk', () => {
  const { sandbox, clock } = useSandbox({ pushTimeoutMs: 500, tokenTtlSeconds: 30 * 86400 });
  let token: string;

  beforeEach(async () => {
    token = await classicToken(sandbox);
  });

  const api = (path: string, body: unknown) => call(sandbox, token, path, body);
  const get = (path: string) => getJson(`${sandbox.url}${path}${path.includes('?') ? '&' : '?'}access_token=${token}`);
  const control = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  /** A kf account bound to a WeChat user (invited, accepted) and logged in on the web. */
  const onlineAgent = async (account = KF, wx = 'alice_wx01') => {
    await api('/customservice/kfaccount/add', { kf_account: account, nickname: account.split('@')[0] });
    await api('/customservice/kfaccount/inviteworker', { kf_account: account, invite_wx: wx });
    await control('POST', `/sandbox/kf-accounts/${account}/invitation`, { answer: 'accept' });
    await control('PUT', `/sandbox/kf-accounts/${account}/status`, { status: 1 });
  };

  describe('agents and invitations', () => {
    it('shows an invitation as waiting, then the bound WeChat ID once accepted, and lists online agents', async () => {
      // prepare
      await api('/customservice/kfaccount/add', { kf_account: KF, nickname: 'Alice' });

      // act
      const invited = await api('/customservice/kfaccount/inviteworker', { kf_account: KF, invite_wx: 'alice_wx01' });
      const waiting = await get('/cgi-bin/customservice/getkflist');
      const offline = await get('/cgi-bin/customservice/getonlinekflist');
      await control('POST', `/sandbox/kf-accounts/${KF}/invitation`, { answer: 'accept' });
      const bound = await get('/cgi-bin/customservice/getkflist');
      await control('PUT', `/sandbox/kf-accounts/${KF}/status`, { status: 2 });
      const online = await get('/cgi-bin/customservice/getonlinekflist');

      // assess
      expect(invited).toEqual({ errcode: 0, errmsg: 'ok' });
      expect(waiting.kf_list[0]).toMatchObject({
        kf_account: KF,
        invite_wx: 'alice_wx01',
        invite_status: 'waiting',
        invite_expire_time: Math.floor(clock.t / 1000) + 7 * 86400,
      });
      expect(offline).toEqual({ kf_online_list: [] });
      expect(bound.kf_list[0]).toMatchObject({ kf_account: KF, kf_wx: 'alice_wx01' });
      expect(bound.kf_list[0].invite_status).toBeUndefined();
      expect(online.kf_online_list).toEqual([{ kf_account: KF, status: 2, kf_id: '1001', accepted_case: 0 }]);
    });

    it('expires an unanswered invitation after 7 days and shows a rejected one as rejected', async () => {
      // prepare
      await api('/customservice/kfaccount/add', { kf_account: KF, nickname: 'Alice' });
      await api('/customservice/kfaccount/add', { kf_account: KF2, nickname: 'Bob' });
      await api('/customservice/kfaccount/inviteworker', { kf_account: KF, invite_wx: 'alice_wx01' });
      await api('/customservice/kfaccount/inviteworker', { kf_account: KF2, invite_wx: 'bob_wx0001' });

      // act
      await control('POST', `/sandbox/kf-accounts/${KF2}/invitation`, { answer: 'reject' });
      clock.advance(7 * 24 * HOUR);
      const list = await get('/cgi-bin/customservice/getkflist');
      const again = await api('/customservice/kfaccount/inviteworker', { kf_account: KF, invite_wx: 'alice_wx01' });

      // assess
      expect(list.kf_list.map((a: Json) => a.invite_status)).toEqual(['expired', 'rejected']);
      expect(again.errcode).toBe(0);
    });

    it('refuses invitations with the desk errcodes 65401, 65407, 65408, 65409, 65411, 65412', async () => {
      // prepare
      await onlineAgent(KF, 'alice_wx01');
      await api('/customservice/kfaccount/add', { kf_account: KF2, nickname: 'Bob' });
      await api('/customservice/kfaccount/add', { kf_account: 'carol@sandbox', nickname: 'Carol' });
      await api('/customservice/kfaccount/inviteworker', { kf_account: KF2, invite_wx: 'bob_wx0001' });

      // act
      const codes = [
        await api('/customservice/kfaccount/inviteworker', { kf_account: 'nobody@sandbox', invite_wx: 'zed_wx0001' }),
        await api('/customservice/kfaccount/inviteworker', { kf_account: 'carol@sandbox', invite_wx: 'alice_wx01' }),
        await api('/customservice/kfaccount/inviteworker', { kf_account: 'carol@sandbox', invite_wx: 'bob_wx0001' }),
        await api('/customservice/kfaccount/inviteworker', { kf_account: 'carol@sandbox', invite_wx: '1bad' }),
        await api('/customservice/kfaccount/inviteworker', { kf_account: KF2, invite_wx: 'other_wx01' }),
        await api('/customservice/kfaccount/inviteworker', { kf_account: KF, invite_wx: 'other_wx01' }),
      ].map((a) => a.errcode);

      // assess
      expect(codes).toEqual([65401, 65407, 65408, 65409, 65411, 65412]);
    });

    it('refuses to log in an account nobody is bound to (control plane misuse is a 400)', async () => {
      // prepare
      await api('/customservice/kfaccount/add', { kf_account: KF, nickname: 'Alice' });

      // act
      const answer = await control('PUT', `/sandbox/kf-accounts/${KF}/status`, { status: 1 });

      // assess
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toMatch(/not bound/);
    });
  });

  describe('sessions', () => {
    it('creates, reads, lists and closes a session for a user who wrote in within 48 h', async () => {
      // prepare
      await onlineAgent();
      await sandbox.simulateUser(USER, { type: 'text', content: 'hello' });

      // act
      const created = await api('/customservice/kfsession/create', { kf_account: KF, openid: USER });
      const session = await get(`/customservice/kfsession/getsession?openid=${USER}`);
      const list = await get(`/customservice/kfsession/getsessionlist?kf_account=${KF}`);
      const online = await get('/cgi-bin/customservice/getonlinekflist');
      const closed = await api('/customservice/kfsession/close', { kf_account: KF, openid: USER });
      const after = await get(`/customservice/kfsession/getsession?openid=${USER}`);

      // assess
      expect(created).toEqual({ errcode: 0, errmsg: 'ok' });
      expect(session).toEqual({ createtime: Math.floor(clock.t / 1000), kf_account: KF });
      expect(list).toEqual({ sessionlist: [{ createtime: Math.floor(clock.t / 1000), openid: USER }] });
      expect(online.kf_online_list[0].accepted_case).toBe(1);
      expect(closed.errcode).toBe(0);
      expect(after.errcode).toBe(65413);
    });

    it('refuses sessions with 65401, 65402, 65415, 40003, 65413 (no interaction in 48 h) and 65414', async () => {
      // prepare
      await onlineAgent(KF, 'alice_wx01');
      await onlineAgent(KF2, 'bob_wx0001');
      await api('/customservice/kfaccount/add', { kf_account: 'carol@sandbox', nickname: 'Carol' });
      await api('/customservice/kfaccount/add', { kf_account: 'dave@sandbox', nickname: 'Dave' });
      await api('/customservice/kfaccount/inviteworker', { kf_account: 'dave@sandbox', invite_wx: 'dave_wx001' });
      await control('POST', '/sandbox/kf-accounts/dave@sandbox/invitation', { answer: 'accept' });
      await sandbox.simulateUser('o_old', { type: 'text', content: 'long ago' });
      clock.advance(48 * HOUR);
      await sandbox.simulateUser(USER, { type: 'text', content: 'hello' });
      await api('/customservice/kfsession/create', { kf_account: KF2, openid: USER });

      // act
      const codes = [
        await api('/customservice/kfsession/create', { kf_account: 'nobody@sandbox', openid: USER }),
        await api('/customservice/kfsession/create', { kf_account: 'carol@sandbox', openid: USER }),
        await api('/customservice/kfsession/create', { kf_account: 'dave@sandbox', openid: USER }),
        await api('/customservice/kfsession/create', { kf_account: KF, openid: 'o_never_seen' }),
        await api('/customservice/kfsession/create', { kf_account: KF, openid: 'o_old' }),
        await api('/customservice/kfsession/create', { kf_account: KF, openid: USER }),
        await api('/customservice/kfsession/close', { kf_account: KF, openid: USER }),
        await api('/customservice/kfsession/close', { kf_account: KF, openid: 'o_old' }),
      ].map((a) => a.errcode);

      // assess
      expect(codes).toEqual([65401, 65402, 65415, 40003, 65413, 65414, 65414, 65413]);
    });

    it('closes a session idle for 30 minutes', async () => {
      // prepare
      await onlineAgent();
      await sandbox.simulateUser(USER, { type: 'text', content: 'hello' });
      await api('/customservice/kfsession/create', { kf_account: KF, openid: USER });

      // act
      clock.advance(29 * MINUTE);
      const open = await get(`/customservice/kfsession/getsession?openid=${USER}`);
      clock.advance(MINUTE);
      const idle = await get(`/customservice/kfsession/getsession?openid=${USER}`);

      // assess
      expect(open.kf_account).toBe(KF);
      expect(idle.errcode).toBe(65413);
    });
  });

  describe('chat records', () => {
    const records = (body: Json) => api('/customservice/msgrecord/getmsglist', body);

    it('records what the user wrote and what custom/send sent, and pages by msgid and number', async () => {
      // prepare
      const start = Math.floor(clock.t / 1000);
      await sandbox.simulateUser(USER, { type: 'text', content: 'one' });
      await sendText(sandbox, token, USER, 'two');
      await sandbox.simulateUser(USER, { type: 'image' });
      const { media_id } = await uploadMedia(sandbox, token, 'image', jpeg()); // a made-up media_id is refused (40007)
      await send(sandbox, token, { touser: USER, msgtype: 'image', image: { media_id } });
      await sandbox.simulateUser(USER, { type: 'text', content: 'five' });

      // act
      const first = await records({ starttime: start, endtime: start + 60, msgid: 1, number: 2 });
      const second = await records({ starttime: start, endtime: start + 60, msgid: first.msgid, number: 2 });
      const third = await records({ starttime: start, endtime: start + 60, msgid: second.msgid, number: 2 });

      // assess
      expect(first.recordlist).toEqual([
        { openid: USER, opercode: 2003, text: 'one', time: start, worker: '' },
        { openid: USER, opercode: 2002, text: 'two', time: start, worker: '' },
      ]);
      expect(first.number).toBe(2);
      expect(second.recordlist.map((r: Json) => r.text)).toEqual(['[image]', '[image]']);
      expect(third.recordlist.map((r: Json) => r.text)).toEqual(['five']);
      expect(third.number).toBe(1);
    });

    it('answers only the records within [starttime, endtime]', async () => {
      // prepare
      const day1 = Math.floor(clock.t / 1000);
      await sandbox.simulateUser(USER, { type: 'text', content: 'day 1' });
      clock.advance(25 * HOUR);
      await sandbox.simulateUser(USER, { type: 'text', content: 'day 2' });

      // act
      const firstDay = await records({ starttime: day1, endtime: day1 + 86400, msgid: 1, number: 10 });
      const secondDay = await records({ starttime: day1 + 86400, endtime: day1 + 2 * 86400, msgid: 1, number: 10 });

      // assess
      expect(firstDay.recordlist.map((r: Json) => r.text)).toEqual(['day 1']);
      expect(secondDay.recordlist.map((r: Json) => r.text)).toEqual(['day 2']);
    });

    it('refuses a window over 24 h with 65417 and bad parameters with 65416', async () => {
      // act
      const codes = [
        await records({ starttime: 1000, endtime: 1000 + 86401, msgid: 1, number: 10 }),
        await records({ starttime: 2000, endtime: 1000, msgid: 1, number: 10 }),
        await records({ starttime: 1000, endtime: 2000, msgid: 1, number: 10001 }),
        await records({ starttime: '1000', endtime: 2000, msgid: 1, number: 10 }),
      ].map((a) => a.errcode);

      // assess
      expect(codes).toEqual([65417, 65416, 65416, 65416]);
    });
  });

  describe('the transfer reply', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let answer: (body: string) => string;

    beforeEach(async () => {
      answer = () => 'success';
      receiver = await startReceiver((r, _n, res) => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(answer(r.body));
      });
    });
    afterEach(async () => {
      sandbox.configureCallback(undefined);
      await receiver.stop();
    });

    const transferXml = (kf?: string) =>
      `<xml><ToUserName><![CDATA[${USER}]]></ToUserName><FromUserName><![CDATA[gh_sandbox]]></FromUserName><CreateTime>${Math.floor(clock.t / 1000)}</CreateTime>` +
      `<MsgType><![CDATA[transfer_customer_service]]></MsgType>${kf ? `<TransInfo><KfAccount><![CDATA[${kf}]]></KfAccount></TransInfo>` : ''}</xml>`;

    it('puts a user answered with transfer_customer_service on the waiting list; an agent accepting pushes kf_create_session', async () => {
      // prepare
      await onlineAgent();
      sandbox.configureCallback({ url: receiver.url, token: TOKEN });
      answer = () => transferXml();

      // act
      const pushed = await sandbox.simulateUser(USER, { type: 'text', content: 'I want a human' });
      const waiting = await get('/customservice/kfsession/getwaitcase');
      const accepted = await control('POST', `/sandbox/kf-accounts/${KF}/accept`, {});
      const whileInSession = await sandbox.simulateUser(USER, { type: 'text', content: 'are you there?' });
      const closed = await control('POST', `/sandbox/kf-accounts/${KF}/close`, { openid: USER });

      // assess
      expect(pushed.reply).toMatchObject({ MsgType: 'transfer_customer_service', encrypted: false });
      expect(waiting).toEqual({ count: 1, waitcaselist: [{ latest_time: Math.floor(clock.t / 1000), openid: USER }] });
      expect(accepted.body.push.message).toMatchObject({ FromUserName: USER, MsgType: 'event', Event: 'kf_create_session', KfAccount: KF });
      expect(receiver.received[1]?.body).toContain('<Event><![CDATA[kf_create_session]]></Event>');
      expect(whileInSession).toMatchObject({ delivered: false, routedTo: KF, attempts: 0 });
      expect(receiver.received).toHaveLength(3);
      expect(receiver.received[2]?.body).toContain('<Event><![CDATA[kf_close_session]]></Event>');
      expect(closed.body.push.delivered).toBe(true);
    });

    it('reads an encrypted reply in safe mode and keeps the user for the named agent', async () => {
      // prepare
      await onlineAgent(KF, 'alice_wx01');
      await onlineAgent(KF2, 'bob_wx0001');
      sandbox.configureCallback({ url: receiver.url, token: TOKEN, encodingAesKey: KEY, mode: 'safe' });
      answer = () => {
        const encrypt = encryptMessage(KEY, sandbox.appId, transferXml(KF2));
        const ts = String(Math.floor(clock.t / 1000));
        return `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${sha1Sorted(TOKEN, ts, '123', encrypt)}]]></MsgSignature><TimeStamp>${ts}</TimeStamp><Nonce><![CDATA[123]]></Nonce></xml>`;
      };

      // act
      const pushed = await sandbox.simulateUser(USER, { type: 'text', content: 'human please' });
      const byOther = await control('POST', `/sandbox/kf-accounts/${KF}/accept`, { openid: USER });
      const byNamed = await control('POST', `/sandbox/kf-accounts/${KF2}/accept`, { openid: USER });

      // assess
      expect(pushed.reply).toMatchObject({
        MsgType: 'transfer_customer_service',
        encrypted: true,
        fields: { TransInfo: { KfAccount: KF2 } },
      });
      expect(byOther.status).toBe(400);
      expect(byNamed.body.push.message).toMatchObject({ Event: 'kf_create_session', KfAccount: KF2 });
    });

    it('ignores a plaintext reply in safe mode and one with a bad MsgSignature, as WeChat would', async () => {
      // prepare
      sandbox.configureCallback({ url: receiver.url, token: TOKEN, encodingAesKey: KEY, mode: 'safe' });
      answer = () => transferXml();

      // act
      const plain = await sandbox.simulateUser(USER, { type: 'text', content: 'human' });
      answer = () =>
        `<xml><Encrypt><![CDATA[${encryptMessage(KEY, sandbox.appId, transferXml())}]]></Encrypt><MsgSignature>bad</MsgSignature><TimeStamp>1</TimeStamp><Nonce>2</Nonce></xml>`;
      const badSignature = await sandbox.simulateUser(USER, { type: 'text', content: 'human' });
      const waiting = await get('/customservice/kfsession/getwaitcase');

      // assess
      expect(plain.reply?.problem).toMatch(/encrypted reply/);
      expect(badSignature.reply?.problem).toMatch(/MsgSignature/);
      expect(waiting.count).toBe(0);
    });

    it('pushes kf_create_session after kfsession/create and kf_switch_session when an agent transfers', async () => {
      // prepare
      await onlineAgent(KF, 'alice_wx01');
      await onlineAgent(KF2, 'bob_wx0001');
      sandbox.configureCallback({ url: receiver.url, token: TOKEN });
      await sandbox.simulateUser(USER, { type: 'text', content: 'hello' });

      // act
      await api('/customservice/kfsession/create', { kf_account: KF, openid: USER });
      await sandbox.idle();
      const switched = await control('POST', `/sandbox/kf-accounts/${KF}/transfer`, { openid: USER, to: KF2 });
      const session = await get(`/customservice/kfsession/getsession?openid=${USER}`);

      // assess
      expect(receiver.received[1]?.body).toContain('<KfAccount><![CDATA[alice@sandbox]]></KfAccount>');
      expect(switched.body.push.message).toMatchObject({ Event: 'kf_switch_session', FromKfAccount: KF, ToKfAccount: KF2 });
      expect(session.kf_account).toBe(KF2);
    });
  });
});

function send(s: Sandbox, token: string, body: unknown): Promise<Json> {
  return postJson(`${s.url}/cgi-bin/message/custom/send?access_token=${token}`, body);
}
