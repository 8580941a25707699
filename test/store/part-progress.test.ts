import { PartProgressStore, partsDigest } from '../../functions/store/part-progress';
import { useTestTable } from './helpers';

describe('PartProgressStore', () => {
  const { dynamo, table, clock } = useTestTable();

  const store = () => new PartProgressStore({ client: dynamo.client, tableName: table.name, now: clock.now });
  const digest = partsDigest(['one ', 'two ', 'three']);

  it('moves forward one part at a time, for the same parts only', async () => {
    // prepare
    const progress = store();

    // act
    const first = await progress.advance('send', 'k', { sent: 1, parts: 3, digest });
    const second = await progress.advance('send', 'k', { sent: 2, parts: 3, digest });
    const skipped = await progress.advance('send', 'k', { sent: 4, parts: 3, digest });
    const otherParts = await progress.advance('send', 'k', { sent: 3, parts: 3, digest: partsDigest(['x']) });
    const now = await progress.read('send', 'k');

    // assess
    expect([first, second, skipped, otherParts]).toEqual([true, true, false, false]);
    expect(now).toEqual({ sent: 2, parts: 3, digest });
    expect(await progress.read('send', 'other-key')).toBeUndefined();
    expect(await progress.read('sendOther', 'k')).toBeUndefined();
  });

  it('forgets progress after a day, though dynalite keeps the item', async () => {
    // prepare
    const progress = store();
    await progress.advance('send', 'k', { sent: 1, parts: 3, digest });
    clock.advance(86_400_000 + 1000);

    // act
    const read = await progress.read('send', 'k');
    const restarted = await progress.advance('send', 'k', { sent: 1, parts: 2, digest: partsDigest(['a', 'b']) });

    // assess
    expect(read).toBeUndefined();
    expect(restarted).toBe(true);
  });
});
