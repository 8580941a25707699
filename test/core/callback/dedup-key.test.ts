import { dedupKey, type InboundMessage } from '../../../functions/core/callback';
import { NOW_S, BIG_MSG_ID, textMessage } from './fixtures';

describe('dedupKey', () => {
  it.each([
    ['a message', textMessage(), `msg:${BIG_MSG_ID}`],
    [
      'an event',
      { ...textMessage(), MsgType: 'event', Event: 'CLICK', EventKey: 'V1001', MsgId: undefined },
      `event:o9AgO5Kd5ggOC-bXrbNODIiE3bGY:${NOW_S}:CLICK:V1001`,
    ],
    [
      'an event without EventKey',
      { ...textMessage(), MsgType: 'event', Event: 'subscribe', MsgId: undefined },
      `event:o9AgO5Kd5ggOC-bXrbNODIiE3bGY:${NOW_S}:subscribe:`,
    ],
    ['a message without MsgId', { ...textMessage(), MsgId: undefined }, `msg:o9AgO5Kd5ggOC-bXrbNODIiE3bGY:${NOW_S}:text`],
  ])('keys %s', (_what, message, key) => {
    // act
    const result = dedupKey(message as InboundMessage);

    // assess
    expect(result).toBe(key);
  });

  it('tells apart two different menu clicks of one user in one second', () => {
    // prepare
    const click = (key: string) =>
      ({ ...textMessage(), MsgType: 'event', Event: 'CLICK', EventKey: key, MsgId: undefined }) as unknown as InboundMessage;

    // act
    const keys = [dedupKey(click('V1001')), dedupKey(click('V1002')), dedupKey(click('V1001'))];

    // assess
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[2]).toBe(keys[0]);
  });
});
