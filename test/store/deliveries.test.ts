import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { parseDeliveryQuery, type DeliveryAttempt } from '../../functions/core/deliveries';
import { ValidationError } from '../../functions/core/errors';
import { DeliveryStore, deliveryUserPartition } from '../../functions/store';
import { useTestTable } from './helpers';

const APP_ID = 'wx-deliveries-app';
const DAY = 86_400_000;

describe('DeliveryStore', () => {
  const { dynamo, table, clock } = useTestTable(Date.UTC(2026, 11, 1, 9));

  const store = (keepContent = false) =>
    new DeliveryStore({ client: dynamo.client, tableName: table.name, appId: APP_ID, keepContent, now: clock.now });
  const attempt = (over: Partial<DeliveryAttempt> = {}): DeliveryAttempt => ({
    openid: 'o_rec',
    operation: 'sendText',
    msgtype: 'text',
    at: clock.now(),
    outcome: 'sent',
    latencyMs: 42,
    content: { content: 'secret answer' },
    ...over,
  });

  it('keeps every field of an attempt but its content, and lists it back', async () => {
    // prepare
    const deliveries = store();

    // act
    const record = await deliveries.record(attempt({ idempotencyKey: 'k-1', part: 2, parts: 3, source: 'http' }));
    const page = await deliveries.list({ openid: 'o_rec' });

    // assess
    expect(page.deliveries).toEqual([record]);
    expect(record).toMatchObject({
      openid: 'o_rec',
      operation: 'sendText',
      msgtype: 'text',
      outcome: 'sent',
      idempotencyKey: 'k-1',
      part: 2,
      parts: 3,
      latencyMs: 42,
      source: 'http',
    });
    expect(record).not.toHaveProperty('content');
    expect(record.expiresAt).toBe(clock.now() + 30 * DAY);
    const raw = await dynamo.client.send(
      new QueryCommand({
        TableName: table.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: deliveryUserPartition(APP_ID, 'o_rec') } },
      }),
    );
    expect(JSON.stringify(raw.Items)).not.toContain('secret answer');
    expect(raw.Items?.[0]?.expiresAt?.N).toBe(String(Math.ceil((clock.now() + 30 * DAY) / 1000)));
  });

  it('keeps the content when told to (DELIVERY_RECORD_CONTENT=true)', async () => {
    // act
    const record = await store(true).record(attempt());

    // assess
    expect(record.content).toEqual({ content: 'secret answer' });
    expect((await store(true).list({ openid: 'o_rec' })).deliveries[0]?.content).toEqual({ content: 'secret answer' });
  });

  it('filters by user, time and outcome; "failed" is every outcome but sent', async () => {
    // prepare
    const deliveries = store();
    await deliveries.record(
      attempt({ at: clock.now() - 2 * DAY, outcome: 'refused_by_wechat', errcode: 45015, errmsg: 'response out of time limit' }),
    );
    await deliveries.record(attempt({ at: clock.now() - DAY / 2, outcome: 'sent' }));
    await deliveries.record(attempt({ at: clock.now() - 1000, outcome: 'refused_by_window', reason: 'quota-used' }));
    await deliveries.record(attempt({ openid: 'o_other', at: clock.now() - 500, outcome: 'unreachable', errorCode: 'WECHAT_TIMEOUT' }));

    // act
    const mine = await deliveries.list({ openid: 'o_rec' });
    const mineFailed = await deliveries.list({ openid: 'o_rec', outcome: 'failed' });
    const mineRecent = await deliveries.list({ openid: 'o_rec', since: clock.now() - DAY });
    const everyoneToday = await deliveries.list({});
    const everyoneFailedSince3Days = await deliveries.list({ since: clock.now() - 3 * DAY, outcome: 'failed' });
    const wechatRefusals = await deliveries.list({ since: clock.now() - 3 * DAY, outcome: 'refused_by_wechat' });

    // assess
    expect(mine.deliveries.map((d) => d.outcome)).toEqual(['refused_by_wechat', 'sent', 'refused_by_window']);
    expect(mineFailed.deliveries.map((d) => d.outcome)).toEqual(['refused_by_wechat', 'refused_by_window']);
    expect(mineRecent.deliveries.map((d) => d.outcome)).toEqual(['sent', 'refused_by_window']);
    expect(everyoneToday.deliveries.map((d) => [d.openid, d.outcome])).toEqual([
      ['o_rec', 'sent'],
      ['o_rec', 'refused_by_window'],
      ['o_other', 'unreachable'],
    ]);
    expect(everyoneFailedSince3Days.deliveries.map((d) => d.outcome)).toEqual(['refused_by_wechat', 'refused_by_window', 'unreachable']);
    expect(wechatRefusals.deliveries).toEqual([expect.objectContaining({ errcode: 45015, errmsg: 'response out of time limit' })]);
  });

  it('pages with a cursor, per user and across days, without losing or repeating a record', async () => {
    // prepare
    const deliveries = store();
    for (let i = 0; i < 7; i++) await deliveries.record(attempt({ at: clock.now() - (7 - i) * (DAY / 3), part: i + 1 }));

    for (const query of [{ openid: 'o_rec' }, { since: clock.now() - 3 * DAY }]) {
      // act
      const seen: number[] = [];
      let page = await deliveries.list({ ...query, limit: 3 });
      let pages = 1;
      seen.push(...page.deliveries.map((d) => d.part!));
      while (page.next) {
        page = await deliveries.list({ ...query, limit: 3, cursor: page.next });
        seen.push(...page.deliveries.map((d) => d.part!));
        pages++;
      }

      // assess
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(pages).toBeGreaterThanOrEqual(3);
    }
  });

  it('treats a record past its 30 days as gone, though dynalite never deletes it', async () => {
    // prepare
    const deliveries = store();
    const old = await deliveries.record(attempt());
    clock.advance(30 * DAY + 1000);

    // act
    const page = await deliveries.list({ openid: 'o_rec', since: 0 });

    // assess
    expect(page.deliveries).toEqual([]);
    const stillThere = await dynamo.client.send(
      new GetItemCommand({
        TableName: table.name,
        Key: { pk: { S: deliveryUserPartition(APP_ID, 'o_rec') }, sk: { S: `AT#${String(old.at).padStart(13, '0')}#${old.id}` } },
      }),
    );
    expect(stillThere.Item).toBeDefined();
  });

  it('refuses a forged cursor and a cursor of another kind of query', async () => {
    // prepare
    const deliveries = store();
    for (let i = 0; i < 3; i++) await deliveries.record(attempt({ at: clock.now() - i }));
    const { next } = await deliveries.list({ openid: 'o_rec', limit: 1 });

    // act
    const forged = deliveries.list({ openid: 'o_rec', cursor: Buffer.from('{"k":"WINDOW"}').toString('base64url') });
    const crossed = deliveries.list({ cursor: next });

    // assess
    await expect(forged).rejects.toThrow(/cursor: must be the `next` value/);
    await expect(crossed).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('parseDeliveryQuery', () => {
  it('reads query-string values', () => {
    // act
    const query = parseDeliveryQuery({ openid: 'o_1', since: '2026-12-01T00:00:00Z', outcome: 'failed', limit: '50' });

    // assess
    expect(query).toEqual({ openid: 'o_1', since: Date.UTC(2026, 11, 1), outcome: 'failed', limit: 50 });
  });

  it('names every bad field and its rule', () => {
    // act
    const error = (() => {
      try {
        parseDeliveryQuery({ since: 'yesterday', outcome: 'lost', limit: '0', openid: 'a b', extra: '1' });
      } catch (e) {
        return e as ValidationError;
      }
    })();

    // assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error!.issues.map((i) => i.field).sort()).toEqual(['extra', 'limit', 'openid', 'outcome', 'since']);
    expect(error!.message).toContain('outcome: must be one of sent, refused_by_window, refused_by_wechat, unreachable, expired, failed');
  });
});
