/**
 * The UpdateItem builder (functions/store/update.ts): the expressions it writes and the mistakes it
 * catches before DynamoDB would refuse them at run time. Every store's own test runs its writes through
 * it on dynalite; these pin the builder's own rules.
 */
import { n, s } from '../../functions/store/table';
import { updateItem } from '../../functions/store/update';

const key = { pk: 'WINDOW#wx1#oUser', sk: 'WINDOW' };

describe('updateItem', () => {
  it('writes SET, ADD and REMOVE clauses with the names and values they use', () => {
    // prepare
    const spec = {
      key,
      set: { status: s('delivered'), sendsUsed: '#sendsUsed - :k', skipped: undefined },
      add: { delivered: n(1) },
      remove: ['leaseOwner'],
      condition: '#lastInboundAt = :at AND #sendsUsed >= :k',
      values: { ':k': n(1), ':at': n(100) },
      returnValues: 'ALL_OLD' as const,
    };
    // act
    const input = updateItem('table', spec);
    // assess
    expect(input).toEqual({
      TableName: 'table',
      Key: { pk: { S: key.pk }, sk: { S: key.sk } },
      UpdateExpression: 'SET #status = :status, #sendsUsed = #sendsUsed - :k ADD #delivered :delivered REMOVE #leaseOwner',
      ConditionExpression: '#lastInboundAt = :at AND #sendsUsed >= :k',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#sendsUsed': 'sendsUsed',
        '#delivered': 'delivered',
        '#leaseOwner': 'leaseOwner',
        '#lastInboundAt': 'lastInboundAt',
      },
      ExpressionAttributeValues: { ':status': { S: 'delivered' }, ':k': { N: '1' }, ':at': { N: '100' }, ':delivered': { N: '1' } },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('leaves ExpressionAttributeValues out when nothing uses a value (DynamoDB refuses an empty map)', () => {
    // act
    const input = updateItem('table', { key, remove: ['typingUntil'], condition: 'attribute_exists(#pk)' });
    // assess
    expect(input.ExpressionAttributeValues).toBeUndefined();
    expect(input.ExpressionAttributeNames).toEqual({ '#typingUntil': 'typingUntil', '#pk': 'pk' });
  });

  it.each([
    ['a value used but not given', { key, set: { a: ':missing' } }, /uses :missing, which has no value/],
    ['a value given but not used', { key, set: { a: n(1) }, values: { ':unused': n(2) } }, /gives :unused, which no expression uses/],
    ['a generated value given twice', { key, set: { a: n(1) }, condition: '#a < :a', values: { ':a': n(2) } }, /:a is given twice/],
    ['nothing to write', { key, condition: 'attribute_exists(#pk)' }, /must SET, ADD or REMOVE/],
  ])('refuses %s', (_case, spec, message) => {
    // act + assess
    expect(() => updateItem('table', spec)).toThrow(message);
  });
});
