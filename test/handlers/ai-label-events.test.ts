/**
 * The AI label through the deployed entry points (docs/ai-label.md): `"aiGenerated": true` in an
 * EventBridge detail and in an SQS message reaches WeChat (the sandbox) as `aimsgcontext.is_ai_msg = 1`, on
 * every part of a split text; without it the send goes out unlabelled.
 */
import type { SQSEvent } from 'aws-lambda';
import { createOperationHandler } from '../../functions/lambda/operation-handler';
import type { AppContext } from '../../functions/context/context';
import { eventBridgeEvent, sqsRecord } from '../support/aws-events';
import { startHandlerProduct, type HandlerProduct } from '../support/handler-product';
import { mixedAnswer } from '../support/long-text';

describe('aiGenerated on EventBridge and SQS', () => {
  let product: HandlerProduct;
  let ctx: AppContext;
  const getContext = async () => ctx;

  beforeAll(async () => {
    product = await startHandlerProduct({ tableName: 'ai-label-events' });
    ({ ctx } = product);
  });
  afterAll(async () => product?.stop());

  const labels = (openid: string) => product.sandbox.messages(openid).map((m) => m.body.aimsgcontext ?? null);

  it('labels every part of a split text asked for by an EventBridge event', async () => {
    await product.userWritesIn('oAiEb');
    const handler = createOperationHandler('sendText', getContext);

    const result = await handler(
      eventBridgeEvent('0b6d3f0e-7f55-4a52-9d8c-1f1f6a1e2c01', 'sendText', {
        touser: 'oAiEb',
        text: { content: mixedAnswer(3000) },
        split: true,
        aiGenerated: true,
      }),
    );

    expect(result).toMatchObject({ errcode: 0, parts: 2 });
    expect(labels('oAiEb')).toEqual([{ is_ai_msg: 1 }, { is_ai_msg: 1 }]);
  });

  it('labels the SQS messages that say so, and only them', async () => {
    await product.userWritesIn('oAiSqs');
    const handler = createOperationHandler('sendMessage', getContext);
    const batch: SQSEvent = {
      Records: [
        sqsRecord('ai-1', { touser: 'oAiSqs', msgtype: 'text', text: { content: 'written by a model' }, aiGenerated: true }),
        sqsRecord('ai-2', { touser: 'oAiSqs', msgtype: 'text', text: { content: 'written by a person' } }),
      ],
    };

    const result: any = await handler(batch);

    expect(result.batchItemFailures).toEqual([]);
    expect(labels('oAiSqs')).toEqual([{ is_ai_msg: 1 }, null]);
  });
});
