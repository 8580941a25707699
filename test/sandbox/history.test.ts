/**
 * What the sandbox keeps of a long run: the feed's history a console catches up on, and the request log
 * of requests() and GET /sandbox/requests. Both are bounded, and both keep the latest.
 */
import { FEED_HISTORY, SandboxFeed } from '../../functions/dev/sandbox/feed';
import { MAX_RECORDED, SandboxState } from '../../functions/dev/sandbox/state';
import type { RecordedRequest } from '../../functions/dev/sandbox';

describe('sandbox feed: the history a console catches up on', () => {
  it('keeps the last FEED_HISTORY entries, however many were published, oldest first', () => {
    // prepare
    const feed = new SandboxFeed(() => 0);
    // act: two and a half histories, past the point where the oldest are dropped
    for (let i = 0; i < FEED_HISTORY * 2.5; i++) feed.publish({ type: 'typing', openid: `o${i}`, command: 'Typing' });
    // assess
    const all = feed.since(0);
    expect(all).toHaveLength(FEED_HISTORY);
    expect(all[0]!.id).toBe(FEED_HISTORY * 1.5 + 1);
    expect(all.at(-1)!.id).toBe(FEED_HISTORY * 2.5);
    expect(feed.since(FEED_HISTORY * 2.5 - 3).map((e) => e.id)).toEqual([
      FEED_HISTORY * 2.5 - 2,
      FEED_HISTORY * 2.5 - 1,
      FEED_HISTORY * 2.5,
    ]);
  });
});

describe('sandbox request log', () => {
  it('keeps the last MAX_RECORDED requests, however many came, oldest first', () => {
    // prepare
    const state = new SandboxState('current', () => 0);
    const request = (n: number): RecordedRequest => ({
      method: 'POST',
      path: '/cgi-bin/message/custom/send',
      query: { n: String(n) },
      headers: {},
      body: undefined,
      at: n,
    });
    // act: two and a half logs, past the point where the oldest are dropped
    for (let n = 1; n <= MAX_RECORDED * 2.5; n++) state.record(request(n));
    // assess
    const kept = state.requestsKept();
    expect(kept).toHaveLength(MAX_RECORDED);
    expect(kept[0]!.at).toBe(MAX_RECORDED * 1.5 + 1);
    expect(kept.at(-1)!.at).toBe(MAX_RECORDED * 2.5);
  });
});
