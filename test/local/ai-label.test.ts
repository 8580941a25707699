/**
 * The AI label over HTTP against the sandbox (docs/ai-label.md): `"aiGenerated": true` (body or
 * `?aiGenerated=true`) reaches WeChat as `aimsgcontext.is_ai_msg = 1` on every part of a split text, is
 * kept in the delivery records, and a caller's own aimsgcontext passes through; with AI_LABEL_DEFAULT=true
 * a send that does not say is labelled and one with `false` is not. The sandbox refuses an is_ai_msg that
 * WeChat would (neither 0 nor 1).
 */
import { callProduct as call, useLocalProduct, type LocalProductFixture } from '../support/local-product';
import { mixedAnswer } from '../support/long-text';

const SEND = '/cgi-bin/message/custom/send';
const labelsSent = (product: LocalProductFixture, openid: string) =>
  product.sandbox!.messages(openid).map((m) => m.body.aimsgcontext ?? null);

describe('the AI label (AI_LABEL_DEFAULT unset: off)', () => {
  const product = useLocalProduct('wechat-kf-ai-label-');

  it('labels every part of a split text sent with "aiGenerated": true, and keeps the label in the delivery records', async () => {
    // prepare: 5000 bytes go out in 3 parts
    await product.sandbox!.simulateUser('oAiSplit', { type: 'text', content: 'explain' });

    // act
    const res = await call(product, 'POST', '/messages/text', {
      touser: 'oAiSplit',
      text: { content: mixedAnswer(5000) },
      split: true,
      aiGenerated: true,
    });
    const records = await call(product, 'GET', '/deliveries?openid=oAiSplit');

    // assess
    expect(res.status).toBe(200);
    expect(res.json.parts).toBe(3);
    expect(labelsSent(product, 'oAiSplit')).toEqual([{ is_ai_msg: 1 }, { is_ai_msg: 1 }, { is_ai_msg: 1 }]);
    expect(product.sandbox!.messages('oAiSplit').every((m) => m.aiLabel === true && !('aiGenerated' in m.body))).toBe(true);
    expect(records.json.deliveries.map((d: any) => [d.part, d.aimsgcontext])).toEqual(
      expect.arrayContaining([
        [1, { is_ai_msg: 1 }],
        [2, { is_ai_msg: 1 }],
        [3, { is_ai_msg: 1 }],
      ]),
    );
  });

  it("takes ?aiGenerated=true on a send route, passes a caller's own aimsgcontext through, and sends unlabelled by default", async () => {
    await product.sandbox!.simulateUser('oAiQuery', { type: 'text', content: 'hi' });

    const query = await call(product, 'POST', '/messages/text?aiGenerated=true', { touser: 'oAiQuery', text: { content: 'from a model' } });
    const own = await call(product, 'POST', '/messages', {
      touser: 'oAiQuery',
      msgtype: 'text',
      text: { content: 'own label' },
      aimsgcontext: { is_ai_msg: 1 },
    });
    const plain = await call(product, 'POST', '/messages', { touser: 'oAiQuery', msgtype: 'text', text: { content: 'by a person' } });

    expect([query.status, own.status, plain.status]).toEqual([200, 200, 200]);
    expect(labelsSent(product, 'oAiQuery')).toEqual([{ is_ai_msg: 1 }, { is_ai_msg: 1 }, null]);
  });

  it('refuses with 400 naming the field an aiGenerated that is not a boolean, or an is_ai_msg WeChat would refuse, and sends nothing', async () => {
    await product.sandbox!.simulateUser('oAiBad', { type: 'text', content: 'hi' });

    const option = await call(product, 'POST', '/messages/text', { touser: 'oAiBad', text: { content: 'x' }, aiGenerated: 'maybe' });
    const field = await call(product, 'POST', '/messages/text', {
      touser: 'oAiBad',
      text: { content: 'x' },
      aimsgcontext: { is_ai_msg: 2 },
    });
    const window = await call(product, 'GET', '/interactions/oAiBad');

    expect(option.status).toBe(400);
    expect(option.json.error.issues).toEqual([{ field: 'aiGenerated', rule: expect.stringContaining('must be true or false') }]);
    expect(field.status).toBe(400);
    expect(field.json.error.issues).toEqual([{ field: 'aimsgcontext.is_ai_msg', rule: expect.stringContaining('must be 0 or 1') }]);
    expect(product.sandbox!.messages('oAiBad')).toEqual([]);
    expect(window.json.sendsLeft).toBe(5);
  });

  it('is checked by the sandbox as WeChat checks it: is_ai_msg 0 or 1, anything else 40035', async () => {
    await product.sandbox!.simulateUser('oAiSandbox', { type: 'text', content: 'hi' });
    const token = (await (
      await fetch(
        `${product.sandbox!.url}/cgi-bin/token?grant_type=client_credential&appid=${product.sandbox!.appId}&secret=${product.sandbox!.appSecret}`,
      )
    ).json()) as any;
    const send = async (aimsgcontext: unknown) => {
      const res = await fetch(`${product.sandbox!.url}${SEND}?access_token=${token.access_token}`, {
        method: 'POST',
        body: JSON.stringify({ touser: 'oAiSandbox', msgtype: 'text', text: { content: 'x' }, aimsgcontext }),
      });
      return ((await res.json()) as any).errcode;
    };

    expect(await send({ is_ai_msg: 1 })).toBe(0);
    expect(await send({ is_ai_msg: 0 })).toBe(0);
    expect(await send({ is_ai_msg: 2 })).toBe(40035);
    expect(await send({ is_ai_msg: '1' })).toBe(40035);
    expect(await send('yes')).toBe(40035);
    expect(product.sandbox!.messages('oAiSandbox').map((m) => m.aiLabel ?? false)).toEqual([true, false]);
  });
});

describe('the AI label with AI_LABEL_DEFAULT=true', () => {
  const product = useLocalProduct('wechat-kf-ai-default-', { env: { AI_LABEL_DEFAULT: 'true' } });

  it('labels a send that does not say, and not one that says "aiGenerated": false (body or query)', async () => {
    await product.sandbox!.simulateUser('oAiDefault', { type: 'text', content: 'hi' });

    const unsaid = await call(product, 'POST', '/messages/text', { touser: 'oAiDefault', text: { content: 'a model wrote this' } });
    const no = await call(product, 'POST', '/messages/text', {
      touser: 'oAiDefault',
      text: { content: 'a person wrote this' },
      aiGenerated: false,
    });
    const noQuery = await call(product, 'POST', '/messages/text?aiGenerated=false', {
      touser: 'oAiDefault',
      text: { content: 'a person again' },
    });

    expect([unsaid.status, no.status, noQuery.status]).toEqual([200, 200, 200]);
    expect(labelsSent(product, 'oAiDefault')).toEqual([{ is_ai_msg: 1 }, null, null]);
  });
});
