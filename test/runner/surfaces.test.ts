/**
 * One runner behind every surface (core/runner/run.ts): the same table of cases, run through the Lambda
 * handler as API Gateway (HTTP), EventBridge and SQS invoke it, and through the built n8n node in Direct
 * mode, gives the same outcome, the same messages at WeChat (the sandbox), and — on the product's
 * surfaces — the same delivery records and events. DynamoDB is dynalite, WeChat the sandbox over HTTP, n8n
 * the in-process harness on n8n-core's engine. Build first: `npm run build --workspace n8n-nodes`.
 *
 * What Direct mode lacks by design (docs/architecture.md): it has no product, so no window gate of its own
 * (WeChat's 45015 refuses the same send, as the same SEND_WINDOW_CLOSED error), no delivery records and no
 * idempotency key; the idempotent-replay case runs on the product's surfaces only.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import { getOperation } from '../../functions/core/catalogue';
import type { DeliveryRecord } from '../../functions/core/deliveries';
import { createOperationHandler } from '../../functions/lambda/operation-handler';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { eventBridgeEvent, httpApiEvent, sqsRecord } from '../support/aws-events';
import { startHandlerProduct, type HandlerProduct } from '../support/handler-product';
import { createHarness } from '../n8n/harness';
import { FILES, startFileServer } from '../n8n/media-cases';

const SEND = '/cgi-bin/message/custom/send';
const LONG = 'Long answers go out in parts. '.repeat(180); // ~5.4 KB: three parts of at most 2048 bytes

type Surface = 'http' | 'eventbridge' | 'sqs' | 'n8nDirect';
const SURFACES: Surface[] = ['http', 'eventbridge', 'sqs', 'n8nDirect'];

/** What a surface answered, in the terms every surface shares. */
interface Outcome {
  ok: boolean;
  /** The error's code (SEND_WINDOW_CLOSED, WECHAT_API_ERROR, ...), where the surface reports one (SQS reports only the failure). */
  code?: string;
  parts?: number;
}

interface Case {
  name: string;
  /**
   * `writesIn`: the user wrote in (the send window is open). `unfollowed`: the user followed, then
   * unfollowed: no window (the product's gate has no interaction; Direct mode's WeChat refuses with 45015).
   */
  user: 'writesIn' | 'unfollowed';
  operation: string;
  input(openid: string, files: string): Record<string, unknown>;
  /** The n8n node's parameters for the same input. */
  n8n(openid: string, files: string): Record<string, unknown>;
  /** A fault WeChat (the sandbox) answers the send with, once. */
  fault?: 'errcode' | 'reset';
  /** The same request delivered twice (one key). */
  replay?: boolean;
  expected: { outcome: Outcome; messages: number; records: string[] };
}

const text = (openid: string, content: string, split = false) => ({ touser: openid, text: { content }, ...(split ? { split: true } : {}) });
const n8nText = (openid: string, content: string, split = false) => ({
  resource: 'message',
  operation: 'send',
  touser: openid,
  msgtype: 'text',
  content,
  options: split ? { split: 'numbered' } : {},
});

const CASES: Case[] = [
  {
    name: 'gated send',
    user: 'writesIn',
    operation: 'sendText',
    input: (o) => text(o, 'hello'),
    n8n: (o) => n8nText(o, 'hello'),
    expected: { outcome: { ok: true }, messages: 1, records: ['sent'] },
  },
  {
    name: 'split send',
    user: 'writesIn',
    operation: 'sendText',
    input: (o) => text(o, LONG, true),
    n8n: (o) => n8nText(o, LONG, true),
    expected: { outcome: { ok: true, parts: 3 }, messages: 3, records: ['sent', 'sent', 'sent'] },
  },
  {
    name: 'media send',
    user: 'writesIn',
    operation: 'sendImage',
    input: (o, files) => ({ touser: o, image: { media_id: { url: `${files}/made.jpg` } } }),
    n8n: (o, files) => ({
      resource: 'message',
      operation: 'send',
      touser: o,
      msgtype: 'image',
      mediaIdSource: 'url',
      mediaIdUrl: `${files}/made.jpg`,
    }),
    expected: { outcome: { ok: true }, messages: 1, records: ['sent'] },
  },
  {
    name: 'refused send',
    user: 'unfollowed',
    operation: 'sendText',
    input: (o) => text(o, 'nobody asked'),
    n8n: (o) => n8nText(o, 'nobody asked'),
    expected: { outcome: { ok: false, code: 'SEND_WINDOW_CLOSED' }, messages: 0, records: ['refused_by_window'] },
  },
  {
    name: 'WeChat errcode',
    user: 'writesIn',
    operation: 'sendText',
    input: (o) => text(o, 'refused'),
    n8n: (o) => n8nText(o, 'refused'),
    fault: 'errcode',
    expected: { outcome: { ok: false, code: 'WECHAT_ERROR' }, messages: 0, records: ['refused_by_wechat'] },
  },
  {
    name: 'unreachable WeChat',
    user: 'writesIn',
    operation: 'sendText',
    input: (o) => text(o, 'lost'),
    n8n: (o) => n8nText(o, 'lost'),
    fault: 'reset',
    expected: { outcome: { ok: false, code: 'WECHAT_UNAVAILABLE' }, messages: 0, records: ['unreachable'] },
  },
  {
    name: 'idempotent replay',
    user: 'writesIn',
    operation: 'sendText',
    input: (o) => text(o, 'once'),
    n8n: (o) => n8nText(o, 'once'),
    replay: true,
    expected: { outcome: { ok: true }, messages: 1, records: ['sent'] },
  },
];

describe('one runner: the same cases through HTTP, EventBridge, SQS and n8n Direct mode', () => {
  let product: HandlerProduct;
  /** n8n's own WeChat: a sandbox of its own, so the two token caches never invalidate each other's token. */
  let n8nSandbox: Sandbox;
  let harness: ReturnType<typeof createHarness>;
  let files: { url: string; stop(): Promise<void> };
  const previousAllowPrivate = process.env.MEDIA_URL_ALLOW_PRIVATE;
  const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };

  beforeAll(async () => {
    // The file server is on loopback: let the product's fetcher reach it, as `npm start` does.
    process.env.MEDIA_URL_ALLOW_PRIVATE = 'true';
    product = await startHandlerProduct({ tableName: 'runner-surfaces' });
    n8nSandbox = await startSandbox({ quiet: true });
    harness = createHarness({
      credentials: {
        c1: {
          type: 'weChatOfficialAccountApi',
          data: { appId: n8nSandbox.appId, appSecret: n8nSandbox.appSecret, baseUrl: n8nSandbox.url, grantMode: 'stable', accessToken: '' },
        },
      },
    });
    files = await startFileServer({ '/made.jpg': FILES.image });
  });
  afterAll(async () => {
    if (previousAllowPrivate === undefined) delete process.env.MEDIA_URL_ALLOW_PRIVATE;
    else process.env.MEDIA_URL_ALLOW_PRIVATE = previousAllowPrivate;
    await files?.stop();
    await n8nSandbox?.stop();
    await product?.stop();
  });

  /** Runs one case's request through one surface (twice for a replay) and answers the last outcome. */
  async function through(surface: Surface, c: Case, openid: string, key: string): Promise<Outcome> {
    const op = getOperation(c.operation);
    const input = c.input(openid, files.url);
    const times = c.replay ? 2 : 1;
    let outcome: Outcome = { ok: false };
    for (let i = 0; i < times; i++) {
      if (surface === 'n8nDirect') {
        const { items, error } = await harness.run({ authentication: 'direct', ...c.n8n(openid, files.url) }, [{ json: {} }], CRED);
        const context = (error as unknown as { context?: { code?: string } } | undefined)?.context;
        outcome = error ? { ok: false, code: context?.code } : { ok: true, ...partsOf(items[0]!.json) };
        continue;
      }
      const handler = createOperationHandler(op, product.getContext);
      if (surface === 'http') {
        const headers = { 'content-type': 'application/json', 'idempotency-key': key };
        const result = (await handler(httpApiEvent(op.route.method, op.route.path, input, { headers }))) as {
          statusCode: number;
          body: string;
        };
        const body = JSON.parse(result.body);
        outcome = result.statusCode < 300 ? { ok: true, ...partsOf(body) } : { ok: false, code: body.error?.code };
      } else if (surface === 'eventbridge') {
        try {
          outcome = { ok: true, ...partsOf(await handler(eventBridgeEvent(key, op.name, input))) };
        } catch (error) {
          outcome = { ok: false, code: (error as { code?: string }).code };
        }
      } else {
        const answer = (await handler({ Records: [sqsRecord(key, input)] })) as SQSBatchResponse;
        outcome = { ok: answer.batchItemFailures.length === 0 };
      }
    }
    return outcome;
  }

  const partsOf = (answer: unknown): { parts?: number } => {
    const parts = (answer as { parts?: unknown }).parts;
    return typeof parts === 'number' ? { parts } : {};
  };

  const productRecords = async (openid: string): Promise<DeliveryRecord[]> => (await product.ctx.deliveries.list({ openid })).deliveries;

  let seq = 0;
  for (const c of CASES) {
    for (const surface of SURFACES) {
      if (c.replay && surface === 'n8nDirect') continue; // Direct mode has no idempotency key (see the module comment)
      it(`${c.name} through ${surface}`, async () => {
        // prepare
        const openid = `o_run_${surface}_${++seq}`;
        const sandbox = surface === 'n8nDirect' ? n8nSandbox : product.sandbox;
        if (c.user === 'writesIn' && surface !== 'n8nDirect') await product.userWritesIn(openid);
        else if (c.user === 'writesIn') await sandbox.simulateUser(openid, { type: 'text', content: 'hi' });
        else await sandbox.simulateUser(openid, { type: 'event', event: 'unsubscribe' });
        if (c.fault === 'errcode') sandbox.injectFault({ path: SEND, kind: 'errcode', errcode: 45002, times: 1 });
        if (c.fault === 'reset') sandbox.injectFault({ path: SEND, kind: 'reset', times: 1 });
        const eventsBefore = product.publisher.events.length;

        // act
        const outcome = await through(surface, c, openid, `key-${seq}`);

        // assess: the outcome (SQS reports only whether a message failed), WeChat, records and events
        const expected = surface === 'sqs' ? { ok: c.expected.outcome.ok } : c.expected.outcome;
        expect(outcome).toEqual(expected);
        expect(sandbox.messages(openid)).toHaveLength(c.expected.messages);
        if (surface === 'n8nDirect') return;
        const records = await productRecords(openid);
        expect(records.map((r) => r.outcome).sort()).toEqual([...c.expected.records].sort());
        expect(records.every((r) => r.source === surface && r.idempotencyKey === `key-${seq}`)).toBe(true);
        const events = product.publisher.events.slice(eventsBefore).filter((e) => (e.detail as { openid?: string }).openid === openid);
        expect(events.map((e) => e.detailType).sort()).toEqual(
          c.expected.records.map((o) => (o === 'sent' ? 'delivery.sent' : 'delivery.failed')).sort(),
        );
      });
    }
  }

  it('gives back the send of a WeChat refusal and keeps the one that may have arrived, through the product ports', async () => {
    // prepare: a user's window state after a refused send and after an unreachable one
    const sendsLeft = async (openid: string) => (await product.ctx.windows.state(openid)).sendsLeft;
    const refused = 'o_run_giveback_refused';
    const lost = 'o_run_giveback_lost';
    await product.userWritesIn(refused);
    await product.userWritesIn(lost);
    product.sandbox.injectFault({ path: SEND, kind: 'errcode', errcode: 45002, times: 1 });
    product.sandbox.injectFault({ path: SEND, kind: 'reset', times: 1 });
    const handler = createOperationHandler('sendText', product.getContext);
    const full = await sendsLeft(refused);
    // act
    await expect(handler(eventBridgeEvent('gb-1', 'sendText', text(refused, 'x')))).rejects.toThrow();
    await expect(handler(eventBridgeEvent('gb-2', 'sendText', text(lost, 'x')))).rejects.toThrow();
    // assess
    expect(await sendsLeft(refused)).toBe(full);
    expect(await sendsLeft(lost)).toBe(full! - 1);
  });
});

describe('idempotency of every write operation on EventBridge and SQS', () => {
  let product: HandlerProduct;
  beforeAll(async () => {
    product = await startHandlerProduct({ tableName: 'runner-idempotency' });
  });
  afterAll(async () => {
    await product?.stop();
  });
  const ADD = '/customservice/kfaccount/add';

  it('a redelivered addKfAccount event reaches WeChat once, and answers the first result', async () => {
    // prepare
    const handler = createOperationHandler('addKfAccount', product.getContext);
    const event = eventBridgeEvent('0f6c2f4e-eb-add', 'addKfAccount', { kf_account: 'eb@sandbox', nickname: 'EventBridge' });
    const before = product.sandbox.count(ADD);
    // act
    const first = await handler(event);
    const again = await handler(event);
    // assess
    expect(product.sandbox.count(ADD) - before).toBe(1);
    expect(again).toEqual(first);
    expect(product.sandbox.kfAccounts().filter((k) => k.kf_account === 'eb@sandbox')).toHaveLength(1);
  });

  it('a redelivered addKfAccount SQS message reaches WeChat once', async () => {
    // prepare
    const handler = createOperationHandler('addKfAccount', product.getContext);
    const batch = { Records: [sqsRecord('sqs-add-1', { kf_account: 'sqs@sandbox', nickname: 'Queue' })] };
    const before = product.sandbox.count(ADD);
    // act
    const first = (await handler(batch)) as SQSBatchResponse;
    const again = (await handler(batch)) as SQSBatchResponse;
    // assess
    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(product.sandbox.count(ADD) - before).toBe(1);
  });

  it('a read runs again on redelivery (nothing to keep), and a different event id is a new add', async () => {
    const list = createOperationHandler('listKfAccounts', product.getContext);
    const before = product.sandbox.count('/cgi-bin/customservice/getkflist');
    await list(eventBridgeEvent('read-1', 'listKfAccounts', {}));
    await list(eventBridgeEvent('read-1', 'listKfAccounts', {}));
    expect(product.sandbox.count('/cgi-bin/customservice/getkflist') - before).toBe(2);
    const add = createOperationHandler('addKfAccount', product.getContext);
    await add(eventBridgeEvent('add-a', 'addKfAccount', { kf_account: 'two@sandbox', nickname: 'Two' }));
    // The same account again under a new event id is a new request: WeChat refuses the duplicate itself.
    await expect(add(eventBridgeEvent('add-b', 'addKfAccount', { kf_account: 'two@sandbox', nickname: 'Two' }))).rejects.toThrow();
  });
});
