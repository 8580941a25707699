/**
 * Issue 15's proof over HTTP against the sandbox: long text split within the quota, resumed on retry,
 * and a delivery record and event for every outcome.
 */
import { partPrefix, utf8Bytes } from '../../functions/core/text-split';
import type { LocalProduct } from '../../functions/dev/local/server';
import { callProduct as call, useLocalProduct } from '../support/local-product';
import { mixedAnswer } from '../support/long-text';

const SEND = '/cgi-bin/message/custom/send';
const LINK = /<a\b[^>]*>[\s\S]*?<\/a\s*>/gi;
const graphemes = (text: string) => [...new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);

/** What the sandbox accepted for a user, as texts, in order. */
const textsSent = (product: LocalProduct, openid: string) =>
  product.sandbox!.messages(openid).map((m) => (m.body.text as { content: string }).content);
const deliveryEvents = (product: LocalProduct, openid: string) =>
  product.events.events
    .filter((e) => e.detailType.startsWith('delivery.') && e.detail.openid === openid)
    .map((e) => ({ type: e.detailType, ...e.detail }) as Record<string, any>);

/** Checks that parts each fit, rejoin to the text, and break no grapheme and no link. */
function expectIntactParts(text: string, parts: string[], numbered: boolean) {
  const bodies = numbered
    ? parts.map(
        (p, i) => (expect(p.startsWith(partPrefix(i + 1, parts.length))).toBe(true), p.slice(partPrefix(i + 1, parts.length).length)),
      )
    : parts;
  for (const part of parts) expect(utf8Bytes(part)).toBeLessThanOrEqual(2048);
  expect(bodies.join('')).toBe(text);
  expect(bodies.flatMap(graphemes)).toEqual(graphemes(text));
  const links = [...text.matchAll(LINK)].length;
  expect(bodies.reduce((n, b) => n + [...b.matchAll(LINK)].length, 0)).toBe(links);
}

describe('long text and delivery records over HTTP (current window rules: 5 sends per message)', () => {
  const product = useLocalProduct('wechat-kf-long-');

  it('refuses a text over the cap with 400 naming its size, the cap and the split option, and sends nothing', async () => {
    // prepare
    await product.sandbox!.simulateUser('oLong400', { type: 'text', content: 'tell me everything' });
    const text = mixedAnswer(10_000);

    // act
    const res = await call(product, 'POST', '/messages', { touser: 'oLong400', msgtype: 'text', text: { content: text } });

    // assess
    expect(res.status).toBe(400);
    expect(res.json.error.issues).toEqual([
      { field: 'text.content', rule: expect.stringContaining(`is ${utf8Bytes(text)} bytes of UTF-8, over the cap of 2048`) },
    ]);
    expect(res.json.error.message).toContain('"split": true');
    expect(product.sandbox!.messages('oLong400')).toEqual([]);
    expect((await call(product, 'GET', '/interactions/oLong400')).json.sendsLeft).toBe(5);
  });

  it('answers 409 with the parts and sends left when the split needs more sends than are left, and sends nothing', async () => {
    // prepare: 10 000 bytes need 6 parts; the window allows 5
    await product.sandbox!.simulateUser('oLong409', { type: 'text', content: 'tell me everything' });

    // act
    const res = await call(product, 'POST', '/messages/text', { touser: 'oLong409', text: { content: mixedAnswer(10_000) }, split: true });

    // assess
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'NOT_ENOUGH_SENDS', parts: 6, sendsLeft: 5, openid: 'oLong409' });
    expect(product.sandbox!.messages('oLong409')).toEqual([]);
    expect((await call(product, 'GET', '/interactions/oLong409')).json.sendsLeft).toBe(5);
    const records = await call(product, 'GET', '/deliveries?openid=oLong409');
    expect(records.json.deliveries).toEqual([
      expect.objectContaining({ outcome: 'refused_by_window', reason: 'not-enough-sends', parts: 6 }),
    ]);
    expect(deliveryEvents(product, 'oLong409')).toEqual([
      expect.objectContaining({ type: 'delivery.failed', outcome: 'refused_by_window', reason: 'not-enough-sends' }),
    ]);
  });

  it('sends a numbered split in order, one record and one delivery.sent event per part', async () => {
    // prepare
    await product.sandbox!.simulateUser('oLongOk', { type: 'text', content: 'tell me' });
    const text = mixedAnswer(6_000, 7);

    // act
    const res = await call(
      product,
      'POST',
      '/messages/text?split=numbered',
      { touser: 'oLongOk', text: { content: text } },
      { 'Idempotency-Key': 'answer-ok-1' },
    );

    // assess
    expect(res.status).toBe(200);
    const sent = textsSent(product, 'oLongOk');
    expect(res.json).toMatchObject({ errcode: 0, parts: sent.length, partsSentNow: sent.length });
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expectIntactParts(text, sent, true);
    const records = (await call(product, 'GET', '/deliveries?openid=oLongOk')).json.deliveries;
    expect(records.map((r: any) => [r.part, r.parts, r.outcome, r.idempotencyKey])).toEqual(
      sent.map((_, i) => [i + 1, sent.length, 'sent', 'answer-ok-1']),
    );
    expect(
      records.every((r: any) => typeof r.latencyMs === 'number' && r.operation === 'sendText' && r.msgtype === 'text' && !('content' in r)),
    ).toBe(true);
    expect(deliveryEvents(product, 'oLongOk').map((e) => [e.type, e.part])).toEqual(sent.map((_, i) => ['delivery.sent', i + 1]));
    expect((await call(product, 'GET', '/interactions/oLongOk')).json.sendsLeft).toBe(5 - sent.length);
  });

  it('numbers the parts of ?split=true&numbering=true, the query form docs/long-text.md gives', async () => {
    // prepare
    await product.sandbox!.simulateUser('oLongQuery', { type: 'text', content: 'tell me' });
    const text = mixedAnswer(4_000, 3);

    // act
    const res = await call(product, 'POST', '/messages/text?split=true&numbering=true', { touser: 'oLongQuery', text: { content: text } });

    // assess
    expect(res.status).toBe(200);
    const sent = textsSent(product, 'oLongQuery');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expectIntactParts(text, sent, true);
    expect(product.sandbox!.messages('oLongQuery').every((m) => !('numbering' in m.body) && !('split' in m.body))).toBe(true);
  });

  it('resumes a retry with the same key after the part that failed, never repeating one', async () => {
    // prepare: the second part is refused by WeChat
    await product.sandbox!.simulateUser('oLongRetry', { type: 'text', content: 'tell me' });
    const text = mixedAnswer(5_000, 11);
    const body = { touser: 'oLongRetry', msgtype: 'text', text: { content: text }, split: true };
    const before = product.sandbox!.count(SEND);
    product.sandbox!.injectFault({ path: SEND, kind: 'errcode', errcode: 45047, after: 1 });

    // act
    const first = await call(product, 'POST', '/messages', body, { 'Idempotency-Key': 'answer-retry-1' });
    const afterFirst = (await call(product, 'GET', '/interactions/oLongRetry')).json.sendsLeft;
    const retry = await call(product, 'POST', '/messages', body, { 'Idempotency-Key': 'answer-retry-1' });
    const replay = await call(product, 'POST', '/messages', body, { 'Idempotency-Key': 'answer-retry-1' });
    const otherText = await call(
      product,
      'POST',
      '/messages',
      { ...body, text: { content: `${text} (edited)` } },
      { 'Idempotency-Key': 'answer-retry-1' },
    );

    // assess
    const sent = textsSent(product, 'oLongRetry');
    expect(first.status).toBe(409); // 45047 is WeChat's "sends used up": the window answer
    expect(first.json.error).toMatchObject({ errcode: 45047, parts: sent.length, partsSent: 1, failedPart: 2 });
    expect(afterFirst).toBe(4); // part 1 counted; part 2 (refused) and the rest given back
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ parts: sent.length, partsSentNow: sent.length - 1, resumedAt: 2 });
    expect(replay.json).toEqual(retry.json);
    expect(otherText.status).toBe(422);
    expectIntactParts(text, sent, false);
    expect(product.sandbox!.count(SEND) - before).toBe(sent.length + 1); // every part once, plus the refused try of part 2
    const records = (await call(product, 'GET', '/deliveries?openid=oLongRetry')).json.deliveries;
    expect(records.map((r: any) => [r.part, r.outcome, r.errcode])).toEqual([
      [1, 'sent', undefined],
      [2, 'refused_by_wechat', 45047],
      ...sent.slice(1).map((_, i) => [i + 2, 'sent', undefined]),
    ]);
    const failed = deliveryEvents(product, 'oLongRetry').filter((e) => e.type === 'delivery.failed');
    expect(failed).toEqual([
      expect.objectContaining({ outcome: 'refused_by_wechat', errcode: 45047, part: 2, idempotencyKey: 'answer-retry-1' }),
    ]);
  });

  it('records and publishes every other outcome: refused by the window, refused by WeChat, WeChat unreachable', async () => {
    // prepare
    await product.sandbox!.simulateUser('oOutcomes', { type: 'text', content: 'hi' });
    const send = (touser: string) => call(product, 'POST', '/messages/text', { touser, text: { content: 'hello' } });

    // act
    const windowRefused = await send('oNeverWrote');
    product.sandbox!.injectFault({ path: SEND, kind: 'errcode', errcode: 40003 });
    const wechatRefused = await send('oOutcomes');
    product.sandbox!.injectFault({ path: SEND, kind: 'reset' }); // after the request was written: no retry, it may have arrived
    const unreachable = await send('oOutcomes');
    const sent = await send('oOutcomes');
    const failedForUser = await call(product, 'GET', '/deliveries?openid=oOutcomes&outcome=failed');
    const refusedEverywhere = await call(
      product,
      'GET',
      `/deliveries?outcome=refused_by_window&since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`,
    );

    // assess
    expect([windowRefused.status, wechatRefused.status, sent.status]).toEqual([409, 502, 200]);
    expect(unreachable.status).toBeGreaterThanOrEqual(503);
    expect(failedForUser.json.deliveries.map((r: any) => [r.outcome, r.errcode ?? r.errorCode])).toEqual([
      ['refused_by_wechat', 40003],
      ['unreachable', unreachable.json.error.code],
    ]);
    expect(refusedEverywhere.json.deliveries).toContainEqual(
      expect.objectContaining({ openid: 'oNeverWrote', outcome: 'refused_by_window', reason: 'no-interaction' }),
    );
    expect(deliveryEvents(product, 'oNeverWrote')).toEqual([
      expect.objectContaining({ type: 'delivery.failed', outcome: 'refused_by_window', reason: 'no-interaction' }),
    ]);
    expect(deliveryEvents(product, 'oOutcomes').map((e) => [e.type, e.outcome])).toEqual([
      ['delivery.failed', 'refused_by_wechat'],
      ['delivery.failed', 'unreachable'],
      ['delivery.sent', 'sent'],
    ]);
  });

  it('refuses a bad query of GET /deliveries with 400 naming the field', async () => {
    // act
    const res = await call(product, 'GET', '/deliveries?outcome=lost&since=yesterday');

    // assess
    expect(res.status).toBe(400);
    expect(res.json.error.issues.map((i: any) => i.field).sort()).toEqual(['outcome', 'since']);
  });
});

describe('a 10 000-byte answer split over HTTP (2017 rules: no count)', () => {
  const product = useLocalProduct('wechat-kf-long-seed-', { env: { WINDOW_RULES: 'seed', DELIVERY_RECORD_CONTENT: 'true' } });

  it('goes out as parts that each fit and rejoin to the original, breaking no character or link', async () => {
    // prepare
    await product.sandbox!.simulateUser('oLong10k', { type: 'text', content: 'the whole story please' });
    const text = mixedAnswer(10_000);

    // act
    const res = await call(product, 'POST', '/messages', { touser: 'oLong10k', msgtype: 'text', text: { content: text }, split: true });

    // assess
    const sent = textsSent(product, 'oLong10k');
    expect(res.status).toBe(200);
    expect(res.json.parts).toBe(sent.length);
    expect(sent.length).toBeGreaterThanOrEqual(6);
    expectIntactParts(text, sent, false);
    expect(product.sandbox!.messages('oLong10k').every((m) => !('split' in m.body))).toBe(true);
    const records = (await call(product, 'GET', '/deliveries?openid=oLong10k')).json.deliveries;
    expect(records.map((r: any) => r.content.content).join('')).toBe(text); // DELIVERY_RECORD_CONTENT=true keeps it
  });
});
