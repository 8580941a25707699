/**
 * PassiveReplyStore on dynalite (docs/passive-replies.md): the tries of one push counted on one item, a
 * reply and the last try's close deciding between them by conditional writes (exactly one wins), the
 * first answer claimed once, a kept answer taken once.
 */
import type { SendMessageInput } from '../../functions/core/catalogue';
import { PassiveReplyStore, type StoredReply } from '../../functions/store';
import { useTestTable } from './helpers';

const reply = (content: string): StoredReply => ({
  message: { touser: 'oUser', msgtype: 'text', text: { content } } as SendMessageInput,
  postedAt: 0,
});

describe('PassiveReplyStore', () => {
  const { dynamo, table, clock } = useTestTable(Date.UTC(2026, 11, 7, 9));
  const store = () => new PassiveReplyStore({ client: dynamo.client, tableName: table.name, appId: 'wx-passive', now: clock.now });

  it("counts WeChat's tries of one push on one item, and a reply without msgId goes to the user's latest push", async () => {
    const replies = store();
    const first = await replies.arrive('oUser', 'msg:1', { msgId: '1', answerableUntil: clock.now() + 6000 });
    const [second, third] = await Promise.all([
      replies.arrive('oUser', 'msg:1', { answerableUntil: clock.now() + 6000 }),
      replies.arrive('oUser', 'msg:1', { answerableUntil: clock.now() + 6000 }),
    ]);
    expect(first.tries).toBe(1);
    expect([second.tries, third.tries].sort()).toEqual([2, 3]);
    expect(await replies.target('oUser', undefined)).toBe('msg:1');
    expect(await replies.target('oUser', '77')).toBe('msg:77');
    expect(await replies.target('oNobody', undefined)).toBeUndefined();
  });

  it("lets exactly one of a reply and the last try's close win, whichever comes first", async () => {
    const replies = store();
    await replies.arrive('oA', 'msg:10', { answerableUntil: clock.now() + 6000 });
    await replies.arrive('oB', 'msg:20', { answerableUntil: clock.now() + 6000 });
    // reply first: the close fails (the try answers with the reply); a second reply is 'answered'
    expect(await replies.offer('oA', 'msg:10', reply('in time'))).toBe(true);
    expect(await replies.close('oA', 'msg:10')).toBe(false);
    expect(await replies.offer('oA', 'msg:10', reply('again'))).toBe('answered');
    expect((await replies.read('oA', 'msg:10'))?.reply?.message).toMatchObject({ text: { content: 'in time' } });
    // close first: the reply is late
    expect(await replies.close('oB', 'msg:20')).toBe(true);
    expect(await replies.offer('oB', 'msg:20', reply('late'))).toBe('closed');
    // no such push; a push whose tries are all over (a dead handler never closed it)
    expect(await replies.offer('oA', 'msg:999', reply('x'))).toBe('no-push');
    await replies.arrive('oC', 'msg:30', { answerableUntil: clock.now() + 6000 });
    clock.advance(7000);
    expect(await replies.offer('oC', 'msg:30', reply('x'))).toBe('too-late');
  });

  it('claims the answer of a push once, and gives a kept answer to one taker only', async () => {
    const replies = store();
    await replies.arrive('oK', 'msg:40', { answerableUntil: clock.now() + 6000 });
    expect(await Promise.all([replies.claimAnswer('oK', 'msg:40'), replies.claimAnswer('oK', 'msg:40')])).toEqual(
      expect.arrayContaining([true, false]),
    );
    expect(await replies.keep('oK', reply('first late'), clock.now() + 1000)).toBeUndefined();
    const replaced = await replies.keep('oK', reply('second late'), clock.now() + 1000);
    expect(replaced?.reply.message).toMatchObject({ text: { content: 'first late' } });
    const taken = await Promise.all([replies.takeKept('oK'), replies.takeKept('oK')]);
    expect(taken.filter(Boolean)).toHaveLength(1);
    expect(taken.find(Boolean)).toMatchObject({ until: clock.now() + 1000, reply: { message: { text: { content: 'second late' } } } });
  });
});
