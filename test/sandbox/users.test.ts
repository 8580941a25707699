import { call, classicToken, getJson, useSandbox, START } from './helpers';

describe('sandbox user management endpoints (user info, follower list, tags)', () => {
  const { sandbox, clock } = useSandbox();
  let token: string;

  beforeEach(async () => {
    clock.t = START;
    token = await classicToken(sandbox);
  });

  const get = (path: string) => getJson(`${sandbox.url}${path}${path.includes('?') ? '&' : '?'}access_token=${token}`);

  it('answers user/info with the documented fields for a follower, and subscribe 0 alone after an unfollow', async () => {
    // prepare
    await sandbox.simulateUser('oAlice', { type: 'event', event: 'subscribe' });
    clock.advance(60_000);
    await sandbox.simulateUser('oAlice', { type: 'text', content: 'hi' });
    await sandbox.simulateUser('oBob', { type: 'text', content: 'hello' });
    await sandbox.simulateUser('oBob', { type: 'event', event: 'unsubscribe' });
    // act
    const alice = await get('/cgi-bin/user/info?openid=oAlice&lang=zh_CN');
    const bob = await get('/cgi-bin/user/info?openid=oBob');
    const nobody = await get('/cgi-bin/user/info?openid=oNobody');
    const missing = await get('/cgi-bin/user/info');
    // assess
    expect(alice).toEqual({
      subscribe: 1,
      openid: 'oAlice',
      language: 'zh_CN',
      subscribe_time: Math.floor(START / 1000),
      remark: '',
      groupid: 0,
      tagid_list: [],
      subscribe_scene: 'ADD_SCENE_OTHERS',
      qr_scene: 0,
      qr_scene_str: '',
    });
    expect(bob).toEqual({ subscribe: 0, openid: 'oBob' });
    expect(nobody.errcode).toBe(40003);
    expect(missing.errcode).toBe(40003);
  });

  it('lists followers with user/get, paging by next_openid', async () => {
    // prepare
    for (const openid of ['o1', 'o2', 'o3']) await sandbox.simulateUser(openid, { type: 'text', content: 'x' });
    await sandbox.simulateUser('o2', { type: 'event', event: 'unsubscribe' });
    // act
    const first = await get('/cgi-bin/user/get');
    const after = await get('/cgi-bin/user/get?next_openid=o3');
    const unknown = await get('/cgi-bin/user/get?next_openid=oZ');
    // assess
    expect(first).toEqual({ total: 2, count: 2, data: { openid: ['o1', 'o3'] }, next_openid: 'o3' });
    expect(after).toEqual({ total: 2, count: 0, next_openid: '' });
    expect(unknown.errcode).toBe(40003);
  });

  it('creates tags, tags users in batch and reports them in tags/get, getidlist and user/info', async () => {
    // prepare
    await sandbox.simulateUser('oA', { type: 'text', content: 'x' });
    await sandbox.simulateUser('oB', { type: 'text', content: 'x' });
    // act
    const created = await call(sandbox, token, '/cgi-bin/tags/create', { tag: { name: '广东' } });
    const id = created.tag?.id as number;
    const tagged = await call(sandbox, token, '/cgi-bin/tags/members/batchtagging', { openid_list: ['oA', 'oB'], tagid: id });
    const again = await call(sandbox, token, '/cgi-bin/tags/members/batchtagging', { openid_list: ['oA'], tagid: id });
    const tags = await get('/cgi-bin/tags/get');
    const ids = await call(sandbox, token, '/cgi-bin/tags/getidlist', { openid: 'oA' });
    const info = await get('/cgi-bin/user/info?openid=oB');
    // assess
    expect(created).toEqual({ tag: { id: 100, name: '广东' } });
    expect(tagged).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(again).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(tags).toEqual({
      tags: [
        { id: 2, name: '星标组', count: 0 },
        { id: 100, name: '广东', count: 2 },
      ],
    });
    expect(ids).toEqual({ tagid_list: [100] });
    expect(info.tagid_list).toEqual([100]);
  });

  it('refuses bad tag calls with WeChat’s codes, and tags nobody when one openid is wrong', async () => {
    // prepare
    await sandbox.simulateUser('oA', { type: 'text', content: 'x' });
    await call(sandbox, token, '/cgi-bin/tags/create', { tag: { name: 'vip' } });
    // act
    const duplicate = await call(sandbox, token, '/cgi-bin/tags/create', { tag: { name: 'vip' } });
    const tooLong = await call(sandbox, token, '/cgi-bin/tags/create', { tag: { name: 'x'.repeat(31) } });
    const noTag = await call(sandbox, token, '/cgi-bin/tags/members/batchtagging', { openid_list: ['oA'], tagid: 999 });
    const tooMany = await call(sandbox, token, '/cgi-bin/tags/members/batchtagging', {
      openid_list: Array.from({ length: 51 }, () => 'oA'),
      tagid: 100,
    });
    const unknownUser = await call(sandbox, token, '/cgi-bin/tags/members/batchtagging', { openid_list: ['oA', 'oGhost'], tagid: 100 });
    const ids = await call(sandbox, token, '/cgi-bin/tags/getidlist', { openid: 'oA' });
    const wrongMethod = await getJson(`${sandbox.url}/cgi-bin/tags/create?access_token=${token}`);
    const noToken = await getJson(`${sandbox.url}/cgi-bin/user/get`);
    // assess
    expect(duplicate.errcode).toBe(45157);
    expect(tooLong.errcode).toBe(45158);
    expect(noTag.errcode).toBe(45159);
    expect(tooMany.errcode).toBe(40032);
    expect(unknownUser.errcode).toBe(40003);
    expect(ids).toEqual({ tagid_list: [] });
    expect(wrongMethod.errcode).toBe(43002);
    expect(noToken.errcode).toBe(41001);
  });

  it('forgets tags on reset', async () => {
    // prepare
    await call(sandbox, token, '/cgi-bin/tags/create', { tag: { name: 'vip' } });
    sandbox.reset();
    token = await classicToken(sandbox);
    // act
    const tags = await get('/cgi-bin/tags/get');
    // assess
    expect(tags).toEqual({ tags: [{ id: 2, name: '星标组', count: 0 }] });
  });
});
