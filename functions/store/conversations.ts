/**
 * Each user's conversation history (docs/conversations.md), with CONVERSATION_RECORD=true: what they
 * wrote, what the account sent, what the desk did, for 30 days.
 *
 * Items: `pk = CONV#<appId>#<openid>`, `sk = AT#<ms, 13 digits>#<id>`, with `entry` (JSON of a
 * {@link ConversationEntry}) and `expiresAt`. One PutItem per entry; a read is one Query, newest first
 * from `before`, whose expired entries are dropped in code (DynamoDB's TTL is late, dynalite has none).
 *
 * @example
 * ```ts
 * const conversations = new ConversationStore({ client, tableName: 'wechat-kf', appId: 'wx123' });
 * await conversations.record('OPENID', { role: 'user', type: 'text', text: 'hi', at: Date.now() }, 'msg:1');
 * (await conversations.list('OPENID', { limit: 20 })).entries; // oldest first
 * ```
 */
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CONVERSATION_RETENTION_MS, type ConversationEntry, type ConversationPage, type ConversationQuery } from '../core/conversations';
import { epochSeconds, marshallKey, n, s, stringAttr } from './table';
import { TableStore, type TableStoreOptions } from './table-store';

export interface ConversationStoreOptions extends TableStoreOptions {
  appId: string;
}

const sortKey = (at: number, id: string) => `AT#${String(Math.max(0, Math.floor(at))).padStart(13, '0')}#${id}`;

/** The conversation history of each user. */
export class ConversationStore extends TableStore {
  private readonly appId: string;

  constructor(options: ConversationStoreOptions) {
    super(options);
    this.appId = options.appId;
  }

  private partition(openid: string) {
    return `CONV#${this.appId}#${openid}`;
  }

  /**
   * Keeps one entry. `id` makes it unique within its millisecond, and makes a retried write (the same
   * message pushed again) the same item.
   */
  async record(openid: string, entry: ConversationEntry, id: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...marshallKey({ pk: this.partition(openid), sk: sortKey(entry.at, id) }),
          entry: s(JSON.stringify(entry)),
          expiresAt: n(epochSeconds(entry.at + CONVERSATION_RETENTION_MS)),
        },
      }),
    );
  }

  /** The latest `limit` entries before `before` (ms; default now), oldest first; `before` of the answer pages back. */
  async list(openid: string, query: Pick<ConversationQuery, 'limit' | 'before'>): Promise<ConversationPage> {
    const now = this.now();
    const before = query.before ?? now + 1;
    const oldest = now - CONVERSATION_RETENTION_MS;
    const entries: ConversationEntry[] = [];
    let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    let more = false;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': s(this.partition(openid)),
            ':from': s(sortKey(oldest, '')),
            ':to': s(sortKey(before - 1, '\uffff')),
          },
          ScanIndexForward: false,
          Limit: query.limit + 1 - entries.length,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const entry = JSON.parse(stringAttr(item, 'entry') ?? '{}') as ConversationEntry;
        if (entry.at < oldest) continue;
        if (entries.length === query.limit) {
          more = true;
          break;
        }
        entries.push(entry);
      }
      start = page.LastEvaluatedKey;
    } while (start && !more && entries.length < query.limit);
    entries.reverse();
    return { entries, ...(more && entries.length > 0 ? { before: entries[0]!.at } : {}) };
  }
}
