/**
 * The Lambda handlers invoked with real-shaped AWS events: API Gateway HTTP API (2.0) and REST (1.0),
 * SQS with a failing item, EventBridge, and direct invocation. DynamoDB is dynalite, WeChat the sandbox.
 */
import type { SQSEvent } from 'aws-lambda';
import { eventBridgeEvent, httpApiEvent, restEvent, sqsRecord } from '../support/aws-events';
import type { Sandbox } from '../../functions/dev/sandbox';
import type { AppContext } from '../../functions/context/context';
import { createOperationHandler } from '../../functions/lambda/operation-handler';
import { createInteractionsHandler } from '../../functions/lambda/interactions-handler';
import { startHandlerProduct, type HandlerProduct } from '../support/handler-product';

const SEND = '/cgi-bin/message/custom/send';

describe('Lambda handlers with real-shaped AWS events', () => {
  let product: HandlerProduct;
  let sandbox: Sandbox;
  let ctx: AppContext;
  const getContext = async () => ctx;
  const userWritesIn = (openid: string) => product.userWritesIn(openid);

  beforeAll(async () => {
    product = await startHandlerProduct({ tableName: 'handlers-test' });
    ({ sandbox, ctx } = product);
  });
  afterAll(async () => {
    await product?.stop();
  });

  it('answers an HTTP API (payload 2.0) request in the 2.0 shape', async () => {
    await userWritesIn('oV2');
    const handler = createOperationHandler('sendMessage', getContext);
    const result: any = await handler(httpApiEvent('POST', '/messages', { touser: 'oV2', msgtype: 'text', text: { content: 'v2' } }));
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: false });
    expect(JSON.parse(result.body)).toMatchObject({ errcode: 0 });
    expect(sandbox.messages('oV2')).toHaveLength(1);
  });

  it('answers a REST (payload 1.0) request, taking kf_account from the path', async () => {
    const add = createOperationHandler('addKfAccount', getContext);
    const update = createOperationHandler('updateKfAccount', getContext);
    await add(restEvent('POST', '/kf-accounts', '/kf-accounts', { kf_account: 'rest@sandbox', nickname: 'Rest' }));
    const result: any = await update(
      restEvent(
        'PUT',
        '/kf-accounts/rest%40sandbox',
        '/kf-accounts/{kf_account}',
        { nickname: 'Rest 2' },
        { kf_account: 'rest%40sandbox' },
      ),
    );
    expect(result.statusCode).toBe(200);
    expect(sandbox.kfAccounts().find((k) => k.kf_account === 'rest@sandbox')?.kf_nick).toBe('Rest 2');
  });

  it('reports only the failing SQS message in batchItemFailures, and is idempotent by message id', async () => {
    // Prepare
    await userWritesIn('oSqs1');
    await userWritesIn('oSqs2');
    const handler = createOperationHandler('sendMessage', getContext);
    const batch: SQSEvent = {
      Records: [
        sqsRecord('m-1', { touser: 'oSqs1', msgtype: 'text', text: { content: 'one' } }),
        sqsRecord('m-2', { touser: 'oSqs2', msgtype: 'text', text: {} }),
        sqsRecord('m-3', { touser: 'oSqs2', msgtype: 'text', text: { content: 'three' } }),
        sqsRecord('m-4', '{not json'),
      ],
    };
    const before = sandbox.count(SEND);
    // Act
    const first: any = await handler(batch);
    const redelivered: any = await handler(batch);
    // Assess
    // Records are tried at once, so failures are listed as they happen; SQS reads them in any order.
    const failed = (answer: any) => answer.batchItemFailures.map((f: { itemIdentifier: string }) => f.itemIdentifier).sort();
    expect(failed(first)).toEqual(['m-2', 'm-4']);
    expect(failed(redelivered)).toEqual(['m-2', 'm-4']);
    expect(sandbox.count(SEND) - before).toBe(2);
  });

  it('performs an EventBridge event whose detail-type is the operation name, once per event id', async () => {
    await userWritesIn('oEb');
    const handler = createOperationHandler('sendText', getContext);
    const event = eventBridgeEvent('6a7e8feb-b491-4cf7-a9f1-bf3703467718', 'sendText', {
      touser: 'oEb',
      text: { content: 'from EventBridge' },
    });
    const result = await handler(event);
    await handler(event);
    expect(result).toMatchObject({ errcode: 0 });
    expect(sandbox.messages('oEb')).toHaveLength(1);
    await expect(handler(eventBridgeEvent('x', 'sendImage', {}))).rejects.toThrow(/detail-type: must be "sendText"/);
  });

  it('numbers split parts from every documented form: EventBridge detail and SQS body alike (docs/long-text.md)', async () => {
    // Prepare: one user per form, each with a text of two parts
    const long = 'A sentence that goes on. '.repeat(120);
    const forms: Array<[string, Record<string, unknown>]> = [
      ['oSplitEb1', { split: { numbering: true } }],
      ['oSplitEb2', { split: true, numbering: true }],
      ['oSplitEb3', { split: 'numbered' }],
      ['oSplitSqs', { split: true, numbering: 'true' }],
    ];
    for (const [openid] of forms) await userWritesIn(openid);
    const text = createOperationHandler('sendText', getContext);
    const bulk = createOperationHandler('sendMessage', getContext);
    // Act
    for (const [openid, option] of forms.slice(0, 3))
      await text(eventBridgeEvent(`split-${openid}`, 'sendText', { touser: openid, text: { content: long }, ...option }));
    const [sqsOpenid, sqsOption] = forms[3]!;
    const sqs: any = await bulk({
      Records: [sqsRecord('split-sqs', { touser: sqsOpenid, msgtype: 'text', text: { content: long }, ...sqsOption })],
    });
    // Assess
    expect(sqs.batchItemFailures).toEqual([]);
    for (const [openid] of forms) {
      const sent = sandbox.messages(openid).map((m) => (m.body.text as { content: string }).content);
      expect(sent.map((t) => t.slice(0, 6))).toEqual(['(1/2) ', '(2/2) ']);
      expect(sandbox.messages(openid).every((m) => !('numbering' in m.body) && !('split' in m.body))).toBe(true);
    }
  });

  it('takes a direct invocation with the input as the event, and throws typed errors', async () => {
    const handler = createOperationHandler('listKfAccounts', getContext);
    expect(await handler({})).toMatchObject({ kf_list: expect.any(Array) });
    const send = createOperationHandler('sendText', getContext);
    await expect(send({ touser: 'oClosed', text: { content: 'x' } })).rejects.toMatchObject({ code: 'SEND_WINDOW_CLOSED' });
  });

  it('answers window state over HTTP API', async () => {
    await userWritesIn('oState');
    const handler = createInteractionsHandler(getContext);
    const result: any = await handler(httpApiEvent('GET', '/interactions/oState', undefined, { pathParameters: { openid: 'oState' } }));
    expect(JSON.parse(result.body)).toMatchObject({ openid: 'oState', canSend: true, sendsLeft: 5, canType: true });
  });
});
