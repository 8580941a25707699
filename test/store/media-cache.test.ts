import { MEDIA_LIFETIME_MS, MEDIA_REUSE_MARGIN_MS, MediaCache } from '../../functions/store';
import { fakeClock, startTestDynamo, type TestDynamo } from './helpers';

const SHA = 'a'.repeat(64);

describe('MediaCache', () => {
  let dynamo: TestDynamo;
  let tableName: string;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
  });
  beforeEach(async () => {
    tableName = await dynamo.newTable();
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  test('hands a cached media_id back for the same bytes and type, not for another type or app', async () => {
    // Prepare
    const clock = fakeClock();
    const cache = new MediaCache({ client: dynamo.client, tableName, appId: 'wx1', now: clock.now });
    const other = new MediaCache({ client: dynamo.client, tableName, appId: 'wx2', now: clock.now });

    // Act
    const written = await cache.put('image', SHA, { mediaId: 'M1', createdAt: clock.now() });
    const hit = await cache.get('image', SHA);
    const asThumb = await cache.get('thumb', SHA);
    const otherApp = await other.get('image', SHA);

    // Assess
    expect(written).toBe(true);
    expect(hit).toEqual({ mediaId: 'M1', createdAt: clock.now(), expiresAt: clock.now() + MEDIA_LIFETIME_MS });
    expect(asThumb).toBeUndefined();
    expect(otherApp).toBeUndefined();
  });

  test('stops handing it out shortly before its 3 days run out, then takes a new upload', async () => {
    // Prepare
    const clock = fakeClock();
    const cache = new MediaCache({ client: dynamo.client, tableName, now: clock.now });
    const created = clock.now();
    await cache.put('voice', SHA, { mediaId: 'OLD', createdAt: created });

    // Act
    clock.advance(MEDIA_LIFETIME_MS - MEDIA_REUSE_MARGIN_MS - 1);
    const justBefore = await cache.get('voice', SHA);
    clock.advance(1);
    const atMargin = await cache.get('voice', SHA);
    const replaced = await cache.put('voice', SHA, { mediaId: 'NEW', createdAt: clock.now() });
    const after = await cache.get('voice', SHA);

    // Assess
    expect(justBefore?.mediaId).toBe('OLD');
    expect(atMargin).toBeUndefined();
    expect(replaced).toBe(true);
    expect(after?.mediaId).toBe('NEW');
  });

  test('a late write of an older upload never replaces a newer one', async () => {
    // Prepare
    const clock = fakeClock();
    const cache = new MediaCache({ client: dynamo.client, tableName, now: clock.now });
    await cache.put('image', SHA, { mediaId: 'NEWER', createdAt: clock.now() });

    // Act
    const late = await cache.put('image', SHA, { mediaId: 'OLDER', createdAt: clock.now() - 5000 });

    // Assess
    expect(late).toBe(false);
    expect((await cache.get('image', SHA))?.mediaId).toBe('NEWER');
  });

  test('forget deletes only the media_id it names', async () => {
    // Prepare
    const clock = fakeClock();
    const cache = new MediaCache({ client: dynamo.client, tableName, now: clock.now });
    await cache.put('image', SHA, { mediaId: 'CURRENT', createdAt: clock.now() });

    // Act
    const wrong = await cache.forget('image', SHA, 'STALE');
    const kept = await cache.get('image', SHA);
    const right = await cache.forget('image', SHA, 'CURRENT');
    const gone = await cache.get('image', SHA);

    // Assess
    expect(wrong).toBe(false);
    expect(kept?.mediaId).toBe('CURRENT');
    expect(right).toBe(true);
    expect(gone).toBeUndefined();
  });
});
