/**
 * Times and ranges over HTTP against the sandbox: `/chat-records` and `/deliveries` read times with the one
 * strict reader (core/times.ts), and a chat-record range is held to what can hold records (365 days back, never
 * after now), so a range from 1970 or to 2100 costs no WeChat call for nothing and ends with `more: false`.
 */
import { TIME_FORMS } from '../../functions/core/times';
import { callProduct as call, useLocalProduct } from '../support/local-product';

const RECORDS = '/customservice/msgrecord/getmsglist';

describe('times and chat-record ranges over HTTP', () => {
  const product = useLocalProduct('wechat-kf-times-');
  const calls = () => product.sandbox!.count(RECORDS);

  it.each([
    ['/chat-records?starttime=foo%2012&endtime=1796112000', 'starttime', 'foo 12'],
    ['/chat-records?starttime=1796112000&endtime=-1', 'endtime', '-1'],
    ['/chat-records?starttime=07%2F12%2F2026&endtime=1796112000', 'starttime', '07/12/2026'],
    ['/chat-records?starttime=2026-12-01T08%3A00%3A00&endtime=1796112000', 'starttime', '2026-12-01T08:00:00'],
    ['/deliveries?since=foo%2012', 'since', 'foo 12'],
    ['/deliveries?since=2026-12-01', 'since', '2026-12-01'],
  ])('%s: 400 naming %s and the accepted forms, WeChat not called', async (path, field, given) => {
    // prepare
    const before = calls();

    // act
    const res = await call(product, 'GET', path);

    // assess
    expect(res.status).toBe(400);
    expect(res.json.error.issues).toContainEqual({ field, rule: `must be ${TIME_FORMS}, got ${JSON.stringify(given)}` });
    expect(calls()).toBe(before);
  });

  it.each([
    ['-1', '-1'],
    ['0', '0'],
    ['2.5', '2.5'],
    ['lots', '"lots"'],
  ])('limit=%s: 400 saying the rule and the value, not "got a string"', async (limit, shown) => {
    // act
    const res = await call(
      product,
      'GET',
      `/chat-records?starttime=${Math.floor(Date.now() / 1000) - 60}&endtime=${Math.floor(Date.now() / 1000)}&limit=${limit}`,
    );

    // assess
    expect(res.status).toBe(400);
    expect(res.json.error.issues).toEqual([{ field: 'limit', rule: `must be a whole number from 1 to 10000, got ${shown}` }]);
  });

  it('reads /deliveries?since= in epoch seconds as seconds, not as milliseconds of 1970', async () => {
    // prepare: one delivery record now
    await product.sandbox!.simulateUser('oSince', { type: 'text', content: 'hi' });
    expect((await call(product, 'POST', '/messages/text', { touser: 'oSince', text: { content: 'hello' } })).status).toBe(200);
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const hourAhead = Math.floor(Date.now() / 1000) + 3600;

    // act
    const fromHourAgo = await call(product, 'GET', `/deliveries?openid=oSince&since=${hourAgo}`);
    const fromHourAhead = await call(product, 'GET', `/deliveries?openid=oSince&since=${hourAhead}`);

    // assess
    expect(fromHourAgo.json.deliveries).toHaveLength(1);
    expect(fromHourAhead.json.deliveries).toEqual([]);
  });

  it('refuses a range from 1970 or starting after now before calling WeChat', async () => {
    // prepare
    const before = calls();
    const later = Math.floor(Date.now() / 1000) + 86_400;

    // act
    const from1970 = await call(product, 'GET', `/chat-records?starttime=0&endtime=${later}`);
    const future = await call(product, 'GET', `/chat-records?starttime=${later}&endtime=${later + 60}`);

    // assess
    expect(from1970.status).toBe(400);
    expect(from1970.json.error.issues).toEqual([{ field: 'starttime', rule: expect.stringContaining('must be at most 365 days ago') }]);
    expect(future.status).toBe(400);
    expect(future.json.error.issues).toEqual([{ field: 'starttime', rule: expect.stringContaining('must not be after now') }]);
    expect(calls()).toBe(before);
  });

  it('reads an end after now (2100) as now: the walk stops at the present with more: false', async () => {
    // prepare: a record from a user a moment ago
    await product.sandbox!.simulateUser('oRange', { type: 'text', content: 'recent' });
    const before = calls();
    const twoDaysAgo = Math.floor(Date.now() / 1000) - 2 * 86_400;

    // act
    const res = await call(product, 'GET', `/chat-records?starttime=${twoDaysAgo}&endtime=2100-01-01T00%3A00%3A00Z`);

    // assess: three 24-hour windows at most (two days and the part of today), not 27 000 to 2100
    expect(res.status).toBe(200);
    expect(res.json.more).toBe(false);
    expect(res.json.recordlist.map((r: { text: string }) => r.text)).toContain('recent');
    expect(calls() - before).toBeLessThanOrEqual(3);
  });
});
