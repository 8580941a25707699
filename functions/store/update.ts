/**
 * Building an UpdateItem request from what it means: which attributes it SETs, ADDs and REMOVEs, under
 * which condition. The `#name` placeholders and the values of plain SETs are generated, so a store never
 * keeps a list of names beside its expression (DynamoDB refuses both a name the expressions do not use
 * and one they use but were not given, and only at run time).
 *
 * ```
 * update(table, { key, set: { status: s('delivered'), at: ':now' }, remove: ['leaseOwner'],
 *                 condition: '#leaseOwner = :owner', values: { ':now': n(now), ':owner': s(owner) } })
 *   ─▶ UpdateExpression            SET #status = :status, #at = :now REMOVE #leaseOwner
 *      ConditionExpression         #leaseOwner = :owner
 *      ExpressionAttributeNames    { #status, #at, #leaseOwner }         (every #name used, nothing else)
 *      ExpressionAttributeValues   { :status, :now, :owner }             (checked: each used, each given)
 * ```
 *
 * A SET or ADD operand is either a value (`s('x')`, `n(1)`: its placeholder is `:<attribute>`, which the
 * condition may use too) or an expression written out (`'#sendsUsed - :k'`, `'if_not_exists(#a, :ttl)'`,
 * `':at'`) whose `:values` come from `values`.
 *
 * @example
 * ```ts
 * await client.send(new UpdateItemCommand(updateItem(tableName, {
 *   key: keys.window(appId, openid),
 *   set: { sendsUsed: '#sendsUsed - :k' },
 *   condition: '#lastInboundAt = :at AND #sendsUsed >= :k',
 *   values: { ':k': n(1), ':at': n(lastInboundAt) },
 * })));
 * ```
 */
import type { AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { marshallKey, type TableKey } from './table';

/** A SET or ADD operand: a value (placeholder generated) or an expression written out with placeholders. */
export type Operand = AttributeValue | string;

/** The meaning of an UpdateItem; see the module comment. */
export interface UpdateSpec {
  key: TableKey;
  /** `attribute → operand`; an `undefined` operand leaves the attribute out (a SET that applies only sometimes). */
  set?: Readonly<Record<string, Operand | undefined>>;
  /** `attribute → number (or set) to add`; DynamoDB's ADD, which creates the attribute at 0 when absent. */
  add?: Readonly<Record<string, Operand | undefined>>;
  remove?: readonly string[];
  condition?: string;
  /** The `:values` the written-out operands and the condition use. */
  values?: Readonly<Record<string, AttributeValue>>;
  returnValues?: ReturnValue;
  /** `ALL_OLD`: a failed condition carries the item it saw (`error.Item`), saving the read that explains it. */
  returnValuesOnConditionCheckFailure?: ReturnValuesOnConditionCheckFailure;
}

/** What a store may write as a reusable part of an update (everything but the key and what it returns). */
export type UpdateWrite = Pick<UpdateSpec, 'set' | 'add' | 'remove' | 'condition' | 'values'>;

const NAME = /#([A-Za-z0-9_]+)/g;
const VALUE = /:([A-Za-z0-9_]+)/g;

/**
 * The UpdateItem input of `spec` on `tableName`.
 *
 * @throws {Error} when a `:value` is used but not given, given but not used, or given twice (a bug in the
 *   store, caught before DynamoDB would refuse it).
 * @example
 * ```ts
 * updateItem('t', { key: { pk: 'A', sk: 'B' }, add: { delivered: n(1) } }).UpdateExpression; // 'ADD #delivered :delivered'
 * ```
 */
export function updateItem(tableName: string, spec: UpdateSpec): UpdateItemCommandInput {
  const values: Record<string, AttributeValue> = { ...spec.values };
  const clause = (operands: Readonly<Record<string, Operand | undefined>> | undefined, separator: string): string[] =>
    Object.entries(operands ?? {}).flatMap(([attribute, operand]) => {
      if (operand === undefined) return [];
      if (typeof operand === 'string') return [`#${attribute}${separator}${operand}`];
      const placeholder = `:${attribute}`;
      if (placeholder in values) throw new Error(`update of ${attribute}: ${placeholder} is given twice`);
      values[placeholder] = operand;
      return [`#${attribute}${separator}${placeholder}`];
    });
  const sets = clause(spec.set, ' = ');
  const adds = clause(spec.add, ' ');
  const removes = (spec.remove ?? []).map((attribute) => `#${attribute}`);
  const expression = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    adds.length ? `ADD ${adds.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (!expression) throw new Error('an update must SET, ADD or REMOVE something');

  const written = `${expression} ${spec.condition ?? ''}`;
  const names = Object.fromEntries([...written.matchAll(NAME)].map(([placeholder, name]) => [placeholder, name!]));
  const used = new Set([...written.matchAll(VALUE)].map(([placeholder]) => placeholder));
  for (const placeholder of used) if (!(placeholder in values)) throw new Error(`update uses ${placeholder}, which has no value`);
  for (const placeholder of Object.keys(values))
    if (!used.has(placeholder)) throw new Error(`update gives ${placeholder}, which no expression uses`);

  return {
    TableName: tableName,
    Key: marshallKey(spec.key),
    UpdateExpression: expression,
    ...(spec.condition ? { ConditionExpression: spec.condition } : {}),
    ExpressionAttributeNames: names,
    ...(used.size ? { ExpressionAttributeValues: values } : {}),
    ...(spec.returnValues ? { ReturnValues: spec.returnValues } : {}),
    ...(spec.returnValuesOnConditionCheckFailure ? { ReturnValuesOnConditionCheckFailure: spec.returnValuesOnConditionCheckFailure } : {}),
  };
}
