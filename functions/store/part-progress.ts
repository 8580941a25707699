/**
 * How far a split send got, per idempotency key, so that a retry resumes after the last part that went
 * out and never sends one twice.
 *
 * The idempotency runner stores a result only when a run succeeds (a failed run's record is deleted, so a
 * retry runs again); a split send that failed at part 3 of 5 therefore needs its own memory of the 2 parts
 * that went out. One item per (scope, key):
 *
 * | pk | sk | attributes |
 * | --- | --- | --- |
 * | `PARTS#<scope>#<md5 of the key>` | `PROGRESS` | `sent` N (parts WeChat accepted, in order), `parts` N, `digest` S (md5 of the parts), `expiresAt` |
 *
 * Timeline of a send of 5 parts with key K whose part 3 is refused, then retried:
 * ```
 *  try 1: part 1 ✓ ─ advance(K, 1)  IF attribute_not_exists(sent) OR (sent = 0 AND digest = D)
 *         part 2 ✓ ─ advance(K, 2)  IF sent = 1 AND digest = D
 *         part 3 ✗ (45047) ─ the run fails; the idempotency record is deleted; progress stays at 2
 *  try 2: read(K) → sent 2, digest D (the same parts) ─ reserve 3 sends ─ parts 3, 4, 5 ✓
 *  try 2': read(K) → digest E ≠ D (another text under K) ─ 422 IDEMPOTENCY_KEY_REUSED, nothing sent
 * ```
 * `advance` is written after WeChat accepted a part and before the next part is sent: a container that
 * dies in between loses nothing but the parts after it. Reads are strongly consistent.
 *
 * @example
 * ```ts
 * const progress = new PartProgressStore({ client, tableName: 'wechat-kf' });
 * const done = await progress.read('send', key); // { sent: 2, parts: 5, digest } | undefined
 * await progress.advance('send', key, { sent: 3, parts: 5, digest });
 * ```
 */
import { createHash } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { epochSeconds, isConditionalCheckFailed, marshallKey, n, numberAttr, s, stringAttr, type TableKey } from './table';
import { TableStore, type TableStoreOptions } from './table-store';

export interface PartProgressOptions extends TableStoreOptions {
  /** How long progress is kept after its last part. Default 1 day (longer than the idempotency record). */
  retentionMs?: number;
}

/** How far one split send got. */
export interface PartProgress {
  /** Parts WeChat accepted, in order (1 = the first went out). */
  sent: number;
  parts: number;
  /** md5 of the parts: a retry with other parts under the same key is refused. */
  digest: string;
}

/**
 * The digest of a split send's parts.
 *
 * @example
 * ```ts
 * partsDigest(['(1/2) Hello ', '(2/2) world']); // '6f1…'
 * ```
 */
export function partsDigest(parts: readonly string[]): string {
  return createHash('md5').update(JSON.stringify(parts), 'utf8').digest('hex');
}

/**
 * Progress of split sends on the product's table.
 *
 * @example
 * ```ts
 * const progress = new PartProgressStore({ client, tableName });
 * await progress.advance('send', 'order-42-answer', { sent: 1, parts: 3, digest: partsDigest(parts) });
 * ```
 */
export class PartProgressStore extends TableStore {
  private readonly retentionMs: number;

  constructor(options: PartProgressOptions) {
    super(options);
    this.retentionMs = options.retentionMs ?? 86_400_000;
  }

  /** How far the send under this key got, if it was tried before (and has not expired). */
  async read(scope: string, key: string): Promise<PartProgress | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshallKey(this.keyOf(scope, key)), ConsistentRead: true }),
    );
    const item = out.Item;
    const sent = numberAttr(item, 'sent');
    const parts = numberAttr(item, 'parts');
    const digest = stringAttr(item, 'digest');
    const expiresAt = numberAttr(item, 'expiresAt');
    if (sent === undefined || parts === undefined || digest === undefined) return undefined;
    if (expiresAt !== undefined && expiresAt * 1000 <= this.now()) return undefined;
    return { sent, parts, digest };
  }

  /**
   * Records that part `sent` went out. Only moves forward by one from what is stored, for the same parts;
   * answers false when the stored progress says otherwise (another run under the same key got there).
   */
  async advance(scope: string, key: string, progress: PartProgress): Promise<boolean> {
    try {
      await this.update({
        key: this.keyOf(scope, key),
        set: {
          sent: n(progress.sent),
          parts: n(progress.parts),
          digest: s(progress.digest),
          expiresAt: n(epochSeconds(this.now() + this.retentionMs)),
        },
        // :digest is the digest being set: the same parts as the stored progress.
        condition: 'attribute_not_exists(#sent) OR (#sent = :prev AND #digest = :digest) OR #expiresAt <= :nowS',
        values: { ':prev': n(progress.sent - 1), ':nowS': n(epochSeconds(this.now())) },
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  private keyOf(scope: string, key: string): TableKey {
    return { pk: `PARTS#${scope}#${createHash('md5').update(key, 'utf8').digest('hex')}`, sk: 'PROGRESS' };
  }
}
