import { PartialSendError, ValidationError, WeChatApiError, WeChatTimeoutError } from '../../functions/core/errors';
import { checkSplit, partsOf, sendParts, wechatBody } from '../../functions/core/split-send';

const long = (bytes: number) => 'word '.repeat(Math.ceil(bytes / 5));

describe('the split option of a text send', () => {
  it('refuses a text over the cap without split, naming the size, the cap and the option', () => {
    // act
    const attempt = () => checkSplit({ touser: 'o', msgtype: 'text', text: { content: '中'.repeat(1000) } }, 2048);

    // assess
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(/text\.content: is 3000 bytes of UTF-8, over the cap of 2048 \(TEXT_MAX_BYTES.*"split": true/);
  });

  it('accepts the forms of the option and normalises them', () => {
    // act
    const forms = [true, 'true', 'numbered', { numbering: true }, {}, false, 'false'].map(
      (split) => checkSplit({ touser: 'o', msgtype: 'text', text: { content: 'hi' }, split }).split,
    );

    // assess
    expect(forms).toEqual([
      { numbering: false },
      { numbering: false },
      { numbering: true },
      { numbering: true },
      { numbering: false },
      undefined,
      undefined,
    ]);
  });

  it('refuses a bad option, and split on a message that is not text', () => {
    // act + assess
    expect(() => checkSplit({ touser: 'o', msgtype: 'text', text: { content: 'hi' }, split: 'yes' })).toThrow(
      /split: must be true, false, "numbered"/,
    );
    expect(() => checkSplit({ touser: 'o', msgtype: 'text', text: { content: 'hi' }, split: { numbering: 1 } })).toThrow(/split: must be/);
    expect(() => checkSplit({ touser: 'o', msgtype: 'image', image: { media_id: 'm' }, split: true })).toThrow(
      /split: applies to text messages only, not image/,
    );
  });

  it('numbers the parts with numbering beside split, the documented query form (?split=true&numbering=true)', () => {
    // act
    const text = { touser: 'o', msgtype: 'text', text: { content: 'hi' } };
    const forms = [
      ['true', 'true'],
      [true, true],
      ['true', 'false'],
      ['numbered', 'true'],
      [{ numbering: true }, true],
    ].map(([split, numbering]) => checkSplit({ ...text, split, numbering }));

    // assess
    expect(forms.map((f) => f.split)).toEqual([
      { numbering: true },
      { numbering: true },
      { numbering: false },
      { numbering: true },
      { numbering: true },
    ]);
    expect(forms.every((f) => !('numbering' in f))).toBe(true);
    expect(() => checkSplit({ ...text, numbering: 'true' })).toThrow(/numbering: numbers the parts of a split: give it with split=true/);
    expect(() => checkSplit({ ...text, split: true, numbering: 'yes' })).toThrow(/numbering: must be true or false/);
    expect(() => checkSplit({ ...text, split: { numbering: false }, numbering: true })).toThrow(
      /numbering: says otherwise than split.numbering/,
    );
  });

  it('keeps split out of the body WeChat gets', () => {
    // act
    const body = wechatBody(checkSplit({ touser: 'o', msgtype: 'text', text: { content: 'hi' }, split: true }));

    // assess
    expect(body).toEqual({ touser: 'o', msgtype: 'text', text: { content: 'hi' } });
  });
});

describe('sendParts', () => {
  const input = checkSplit({ touser: 'o', msgtype: 'text', text: { content: long(5000) }, split: true }, 2048);

  it('sends the parts in order and reports each', async () => {
    // prepare
    const sent: string[] = [];
    const reported: number[] = [];
    const parts = partsOf(input, 2048);

    // act
    const result = await sendParts(input, parts, {
      send: async (body) => void sent.push((body.text as { content: string }).content),
      sent: async (part) => void reported.push(part),
    });

    // assess
    expect(parts).toHaveLength(3);
    expect(sent).toEqual(parts);
    expect(reported).toEqual([1, 2, 3]);
    expect(result).toEqual({ errcode: 0, errmsg: 'ok', parts: 3, partsSentNow: 3 });
  });

  it("stops at the first failure and says how far it got, with the part error's status and errcode", async () => {
    // prepare
    const parts = partsOf(input, 2048);
    let calls = 0;

    // act
    const error = await sendParts(input, parts, {
      send: async () => {
        calls++;
        if (calls === 2) throw new WeChatApiError(45047, 'out of response count limit');
      },
    }).then(
      () => {
        throw new Error('sent');
      },
      (e: unknown) => e as PartialSendError,
    );

    // assess
    expect(error).toBeInstanceOf(PartialSendError);
    expect(calls).toBe(2);
    expect(error).toMatchObject({ status: 502, code: 'WECHAT_ERROR', errcode: 45047, parts: 3, partsSent: 1, failedPart: 2 });
    expect(error.toBody().error).toMatchObject({ errcode: 45047, parts: 3, partsSent: 1, failedPart: 2 });
    expect(error.message).toMatch(/^part 2 of 3 was not sent: WeChat answered 45047.*part 1 went out/);
  });

  it('resumes after the parts an earlier try sent', async () => {
    // prepare
    const parts = partsOf(input, 2048);
    const sent: string[] = [];

    // act
    const result = await sendParts(input, parts, {
      from: 2,
      send: async (body) => void sent.push((body.text as { content: string }).content),
    });

    // assess
    expect(sent).toEqual([parts[2]]);
    expect(result).toEqual({ errcode: 0, errmsg: 'ok', parts: 3, partsSentNow: 1, resumedAt: 3 });
  });

  it('keeps a timeout retryable', async () => {
    // act
    const error = await sendParts(input, partsOf(input, 2048), {
      send: async () => {
        throw new WeChatTimeoutError('no answer');
      },
    }).then(
      () => {
        throw new Error('sent');
      },
      (e: unknown) => e as PartialSendError,
    );

    // assess
    expect(error).toMatchObject({ status: 504, code: 'WECHAT_TIMEOUT', retryable: true, partsSent: 0 });
  });
});
