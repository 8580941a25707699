/**
 * The send path's promises, checked on the wire: one DynamoDB write before WeChat is called, the delivery
 * record written after WeChat answered, and the split option on every way a send arrives (HTTP, SQS,
 * EventBridge). DynamoDB is dynalite, WeChat the sandbox; every DynamoDB command and every WeChat request
 * is logged in the order it happened.
 */
import { utf8Bytes } from '../../functions/core/text-split';
import { FetchTransport, type HttpRequest } from '../../functions/core/transport';
import type { AppContext } from '../../functions/context/context';
import { createOperationHandler } from '../../functions/lambda/operation-handler';
import type { MemoryPublisher } from '../../functions/context/publisher';
import type { Sandbox } from '../../functions/dev/sandbox';
import { eventBridgeEvent, httpApiEvent, sqsRecord } from '../support/aws-events';
import { startHandlerProduct, type HandlerProduct } from '../support/handler-product';
import { mixedAnswer } from '../support/long-text';

const SEND = '/cgi-bin/message/custom/send';
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

describe('the send path on the wire', () => {
  let product: HandlerProduct;
  let sandbox: Sandbox;
  let ctx: AppContext;
  let publisher: MemoryPublisher;
  /** Every DynamoDB command and WeChat request, in order: `ddb:UpdateItemCommand`, `wechat:/cgi-bin/...`. */
  const wire: string[] = [];
  const getContext = async () => ctx;
  const userWritesIn = (openid: string) => product.userWritesIn(openid);

  beforeAll(async () => {
    const fetchTransport = new FetchTransport();
    product = await startHandlerProduct({
      tableName: 'send-path',
      onClient: (client) =>
        client.middlewareStack.add(
          (next, context) => async (args) => {
            wire.push(`ddb:${context.commandName}`);
            return next(args);
          },
          { step: 'initialize', name: 'wireLog' },
        ),
      transport: { send: (request: HttpRequest) => (wire.push(`wechat:${new URL(request.url).pathname}`), fetchTransport.send(request)) },
    });
    ({ sandbox, ctx, publisher } = product);
  });
  afterAll(async () => {
    await product?.stop();
  });

  it('makes one DynamoDB write before WeChat is called, and writes the record after WeChat answered', async () => {
    // prepare: a warm token, so the only traffic is the send's own
    await userWritesIn('oWire');
    await ctx.tokens.getToken();
    const handler = createOperationHandler('sendText', getContext);
    wire.length = 0;

    // act
    const result: any = await handler(httpApiEvent('POST', '/messages/text', { touser: 'oWire', text: { content: 'hello' } }));

    // assess
    expect(result.statusCode).toBe(200);
    const call = wire.indexOf(`wechat:${SEND}`);
    expect(wire.slice(0, call).filter((c) => WRITES.has(c.slice(4)))).toEqual(['ddb:UpdateItemCommand']); // the gate
    expect(wire.slice(call + 1)).toEqual(['ddb:BatchWriteItemCommand']); // the delivery record, after
    expect(publisher.events.filter((e) => e.detailType === 'delivery.sent' && e.detail.openid === 'oWire')).toHaveLength(1);
  });

  it('reserves every part in the one write before the first part, then writes nothing before each next part but its progress', async () => {
    // prepare
    await userWritesIn('oWireSplit');
    await ctx.tokens.getToken();
    const handler = createOperationHandler('sendText', getContext);
    const text = mixedAnswer(5_000, 3);
    wire.length = 0;

    // act
    const result: any = await handler(
      httpApiEvent('POST', '/messages/text', { touser: 'oWireSplit', text: { content: text }, split: true }),
    );

    // assess
    expect(result.statusCode).toBe(200);
    const parts = JSON.parse(result.body).parts as number;
    const calls = wire.flatMap((c, i) => (c === `wechat:${SEND}` ? [i] : []));
    expect(calls).toHaveLength(parts);
    expect(wire.slice(0, calls[0]).filter((c) => WRITES.has(c.slice(4)))).toEqual(['ddb:UpdateItemCommand']);
    // Without an idempotency key there is no progress to keep: nothing but record writes between the calls.
    for (let i = 1; i < calls.length; i++) {
      expect(wire.slice(calls[i - 1]! + 1, calls[i]).every((c) => c === 'ddb:BatchWriteItemCommand')).toBe(true);
    }
    expect(wire.filter((c) => c === 'ddb:BatchWriteItemCommand')).toHaveLength(parts);
  });

  it('splits a long text sent by SQS with "split" in the message body', async () => {
    // prepare
    await userWritesIn('oSqsSplit');
    const handler = createOperationHandler('sendMessage', getContext);
    const text = mixedAnswer(4_500, 5);

    // act
    const result: any = await handler({
      Records: [sqsRecord('sqs-split-1', { touser: 'oSqsSplit', msgtype: 'text', text: { content: text }, split: 'numbered' })],
    });

    // assess
    expect(result.batchItemFailures).toEqual([]);
    const sent = sandbox.messages('oSqsSplit').map((m) => (m.body.text as { content: string }).content);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent[0]).toMatch(new RegExp(`^\\(1/${sent.length}\\) `));
    expect(sent.every((p) => utf8Bytes(p) <= 2048)).toBe(true);
    const records = await ctx.deliveries.list({ openid: 'oSqsSplit' });
    expect(records.deliveries.map((r) => [r.source, r.idempotencyKey, r.part])).toEqual(sent.map((_, i) => ['sqs', 'sqs-split-1', i + 1]));
  });

  it('splits a long text asked for by EventBridge, and refuses an unsplit one as a bad event', async () => {
    // prepare
    await userWritesIn('oEbSplit');
    const handler = createOperationHandler('sendText', getContext);
    const text = mixedAnswer(3_000, 9);

    // act
    const split: any = await handler(
      eventBridgeEvent('eb-split-1', 'sendText', { touser: 'oEbSplit', text: { content: text }, split: true }),
    );
    const unsplit = await handler(eventBridgeEvent('eb-split-2', 'sendText', { touser: 'oEbSplit', text: { content: text } })).catch(
      (e: unknown) => e,
    );

    // assess
    expect(split).toMatchObject({ errcode: 0, parts: 2 });
    expect(unsplit).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect((unsplit as Error).message).toContain('over the cap of 2048');
    expect(
      sandbox
        .messages('oEbSplit')
        .map((m) => (m.body.text as { content: string }).content)
        .join(''),
    ).toBe(text);
  });
});
