import { call, classicToken, getJson, jpeg, multipart, useSandbox, type Json } from './helpers';

const MD5 = '0123456789abcdef0123456789abcdef';

describe('sandbox kf accounts', () => {
  const { sandbox } = useSandbox();
  let token: string;

  beforeEach(async () => {
    token = await classicToken(sandbox);
  });

  const add = (body: unknown) => call(sandbox, token, '/customservice/kfaccount/add', body);
  const update = (body: unknown) => call(sandbox, token, '/customservice/kfaccount/update', body);
  const list = () => getJson(`${sandbox.url}/cgi-bin/customservice/getkflist?access_token=${token}`);
  const upload = async (account: string, data: Buffer, field = 'media', accountInQuery = account): Promise<Json> => {
    const { body, contentType } = multipart(field, 'avatar.jpg', 'image/jpeg', data);
    const res = await fetch(`${sandbox.url}/customservice/kfaccount/uploadheadimg?access_token=${token}&kf_account=${accountInQuery}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    });
    return (await res.json()) as Json;
  };

  it('adds, lists, updates and deletes (POST form) an account', async () => {
    // act
    const added = await add({ kf_account: 'alice@sandbox', nickname: 'Alice', password: MD5 });
    const listed = await list();
    const updated = await update({ kf_account: 'alice@sandbox', nickname: '客服小张' });
    const afterUpdate = await list();
    const deleted = await call(sandbox, token, '/customservice/kfaccount/del', { kf_account: 'alice@sandbox' });

    // assess
    expect(added).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(listed.kf_list).toEqual([{ kf_account: 'alice@sandbox', kf_nick: 'Alice', kf_id: '1001', kf_headimgurl: '' }]);
    expect(updated.errcode).toBe(0);
    expect(afterUpdate.kf_list[0].kf_nick).toBe('客服小张');
    expect(deleted.errcode).toBe(0);
    expect(sandbox.kfAccounts()).toEqual([]);
  });

  it('deletes with the older GET ?kf_account= form, @ literal or %40', async () => {
    // prepare
    await add({ kf_account: 'bob@sandbox', nickname: 'Bob' });
    await add({ kf_account: 'carol@sandbox', nickname: 'Carol' });

    // act
    const literal = await getJson(`${sandbox.url}/customservice/kfaccount/del?access_token=${token}&kf_account=bob@sandbox`);
    const encoded = await getJson(`${sandbox.url}/customservice/kfaccount/del?access_token=${token}&kf_account=carol%40sandbox`);

    // assess
    expect(literal.errcode).toBe(0);
    expect(encoded.errcode).toBe(0);
    expect(sandbox.kfAccounts()).toEqual([]);
  });

  it.each([
    ['a prefix over 10 characters', { kf_account: 'abcdefghijk@sandbox', nickname: 'N' }, 61454],
    ['an illegal character', { kf_account: 'al-ice@sandbox', nickname: 'N' }, 61455],
    ['another WeChat ID', { kf_account: 'alice@other', nickname: 'N' }, 61452],
    ['no @', { kf_account: 'alice', nickname: 'N' }, 61452],
    ['no kf_account', { nickname: 'N' }, 61451],
    ['a nickname over 16 characters', { kf_account: 'alice@sandbox', nickname: 'x'.repeat(17) }, 61451],
    ['no nickname', { kf_account: 'alice@sandbox' }, 61451],
    ['a password that is not 32 hex', { kf_account: 'alice@sandbox', nickname: 'N', password: 'secret' }, 61451],
  ])('refuses an add with %s', async (_name, body, errcode) => {
    // act
    const answer = await add(body);

    // assess
    expect(answer.errcode).toBe(errcode);
    expect(sandbox.kfAccounts()).toEqual([]);
  });

  it('accepts a 16-character Chinese nickname', async () => {
    // act
    const answer = await add({ kf_account: 'zh@sandbox', nickname: '一二三四五六七八九十一二三四五六' });

    // assess
    expect(answer.errcode).toBe(0);
  });

  it('refuses a duplicate (61453), an update or delete of a missing account (61452)', async () => {
    // prepare
    await add({ kf_account: 'alice@sandbox', nickname: 'Alice' });

    // act
    const duplicate = await add({ kf_account: 'alice@sandbox', nickname: 'Again' });
    const missingUpdate = await update({ kf_account: 'nobody@sandbox', nickname: 'X' });
    const missingDelete = await call(sandbox, token, '/customservice/kfaccount/del', { kf_account: 'nobody@sandbox' });

    // assess
    expect(duplicate.errcode).toBe(61453);
    expect(missingUpdate.errcode).toBe(61452);
    expect(missingDelete.errcode).toBe(61452);
  });

  it('allows 100 accounts (61456 after)', async () => {
    // prepare
    for (let i = 0; i < 100; i++) expect((await add({ kf_account: `k${i}@sandbox`, nickname: `K${i}` })).errcode).toBe(0);

    // act
    const answer = await add({ kf_account: 'k100@sandbox', nickname: 'One too many' });

    // assess
    expect(answer.errcode).toBe(61456);
    expect(sandbox.kfAccounts()).toHaveLength(100);
  });

  it('uploads a jpg avatar and lists its URL, which serves the image', async () => {
    // prepare
    await add({ kf_account: 'alice@sandbox', nickname: 'Alice' });
    const image = jpeg(2048);

    // act
    const answer = await upload('alice@sandbox', image);
    const listed = await list();

    // assess
    expect(answer.errcode).toBe(0);
    const url = listed.kf_list[0].kf_headimgurl as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sandbox\/kf-avatars\/1001\.jpg/);
    const served = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(served.equals(image)).toBe(true);
  });

  it('accepts %40 in the uploadheadimg query', async () => {
    // prepare
    await add({ kf_account: 'alice@sandbox', nickname: 'Alice' });

    // act
    const answer = await upload('alice@sandbox', jpeg(), 'media', 'alice%40sandbox');

    // assess
    expect(answer.errcode).toBe(0);
  });

  it.each([
    ['a PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'media', 40005],
    ['a file over 5 MB', jpeg(5 * 1024 * 1024 + 1), 'media', 61457],
    ['no media field', jpeg(), 'file', 41005],
  ])('refuses an avatar that is %s', async (_name, data, field, errcode) => {
    // prepare
    await add({ kf_account: 'alice@sandbox', nickname: 'Alice' });

    // act
    const answer = await upload('alice@sandbox', data, field);

    // assess
    expect(answer.errcode).toBe(errcode);
    expect(sandbox.kfAccounts()[0]?.kf_headimgurl).toBe('');
  });

  it('refuses an avatar for an unknown account (61452)', async () => {
    // act
    const answer = await upload('nobody@sandbox', jpeg());

    // assess
    expect(answer.errcode).toBe(61452);
  });

  it('answers getonlinekflist with an empty list', async () => {
    // prepare
    await add({ kf_account: 'alice@sandbox', nickname: 'Alice' });

    // act
    const answer = await getJson(`${sandbox.url}/cgi-bin/customservice/getonlinekflist?access_token=${token}`);

    // assess
    expect(answer).toEqual({ kf_online_list: [] });
  });

  it('records the password given, and answers 43002 to a GET on a POST API', async () => {
    // prepare
    await add({ kf_account: 'alice@sandbox', nickname: 'Alice', password: MD5 });

    // act
    const wrongMethod = await getJson(`${sandbox.url}/customservice/kfaccount/add?access_token=${token}`);

    // assess
    expect(sandbox.kfAccounts()[0]?.password).toBe(MD5);
    expect(wrongMethod.errcode).toBe(43002);
  });
});
