/**
 * The official accounts added to a deployment with `POST /accounts` (docs/accounts.md), one item each in
 * one partition, so that listing them is one Query (a deployment holds at most {@link MAX_ACCOUNTS}):
 *
 * `pk = ACCOUNTS`, `sk = ACCOUNT#<appId>`: `appId`, `name`?, `ghId`?, `settings` (JSON S), `sealedSecret`
 * (the secret's JSON, sealed with the account key and the AppID as its context: only a function allowed to
 * open it reads it), `hasCallbackToken` / `hasEncodingAesKey` BOOL, `createdAt` N ms, and `owner` `stack` for
 * an account the stack declares (its `accounts` prop, written by functions/lambda/accounts-seed.ts through
 * stack-accounts.ts): the API does not delete those, the stack does when they leave the prop.
 *
 * The default account (the stack's own secret) is not an item: it is the deployment's configuration.
 *
 * @example
 * ```ts
 * const accounts = new AccountStore({ client, tableName: 'wechat-kf' });
 * await accounts.put({ appId: 'wx0123456789abcdef', settings: {}, sealedSecret: '…' }); // false if it exists
 * ```
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AccountSettings } from '../core/accounts';
import { isConditionalCheckFailed, marshallKey, n, names, numberAttr, s, stringAttr, TABLE_PARTITION_KEY, type TableKey } from './table';
import { TableStore } from './table-store';

/** Most accounts one deployment keeps (the scale: 100, with room). */
export const MAX_ACCOUNTS = 500;

const PARTITION = 'ACCOUNTS';

/** An account as stored. */
export interface StoredAccount {
  appId: string;
  name?: string;
  ghId?: string;
  settings: AccountSettings;
  sealedSecret: string;
  /** Whether the sealed secret holds a callback token and an EncodingAESKey (listing never opens a secret). */
  hasCallbackToken: boolean;
  hasEncodingAesKey: boolean;
  createdAt: number;
  /** When `PATCH /accounts/{appId}` last changed it (ms); absent until then. */
  updatedAt?: number;
  /** `stack`: declared in the stack's `accounts` prop (docs/accounts.md, "Accounts known at deploy time"). */
  owner?: AccountOwner;
}

/** Who owns an account item other than the API: the stack (its `accounts` prop). */
export type AccountOwner = 'stack';

/** The key of an account's item. */
export function accountItemKey(appId: string): TableKey {
  return { pk: PARTITION, sk: `ACCOUNT#${appId}` };
}

function fromItem(item: Record<string, AttributeValue>): StoredAccount {
  const name = stringAttr(item, 'name');
  const ghId = stringAttr(item, 'ghId');
  return {
    appId: stringAttr(item, 'appId') ?? '',
    ...(name ? { name } : {}),
    ...(ghId ? { ghId } : {}),
    settings: JSON.parse(stringAttr(item, 'settings') ?? '{}') as AccountSettings,
    sealedSecret: stringAttr(item, 'sealedSecret') ?? '',
    hasCallbackToken: item.hasCallbackToken?.BOOL === true,
    hasEncodingAesKey: item.hasEncodingAesKey?.BOOL === true,
    createdAt: numberAttr(item, 'createdAt') ?? 0,
    ...(numberAttr(item, 'updatedAt') !== undefined ? { updatedAt: numberAttr(item, 'updatedAt') } : {}),
    owner: stringAttr(item, 'owner') as AccountOwner | undefined,
  };
}

/** The item of an account (its key, then its attributes). */
export function accountItem(account: Omit<StoredAccount, 'createdAt'>, createdAt: number): Record<string, AttributeValue> {
  return {
    ...marshallKey(accountItemKey(account.appId)),
    appId: s(account.appId),
    settings: s(JSON.stringify(account.settings)),
    sealedSecret: s(account.sealedSecret),
    createdAt: n(createdAt),
    hasCallbackToken: { BOOL: account.hasCallbackToken },
    hasEncodingAesKey: { BOOL: account.hasEncodingAesKey },
    ...(account.name ? { name: s(account.name) } : {}),
    ...(account.ghId ? { ghId: s(account.ghId) } : {}),
    ...(account.updatedAt !== undefined ? { updatedAt: n(account.updatedAt) } : {}),
  };
}

/** The accounts' items; see the module comment. */
export class AccountStore extends TableStore {
  /** Adds an account; `false` when one with that AppID is already there (nothing is changed then). */
  async put(account: Omit<StoredAccount, 'createdAt'>): Promise<StoredAccount | false> {
    const createdAt = this.now();
    const item = accountItem(account, createdAt);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: names(TABLE_PARTITION_KEY),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
    return { ...account, createdAt };
  }

  /**
   * Replaces an account the API added with its changed form (`PATCH /accounts/{appId}`): `false` when it is
   * gone, or the stack's (its accounts prop owns it), or another change landed since it was read (its
   * `updatedAt` moved): nothing is written then.
   */
  async replace(account: StoredAccount, read: StoredAccount): Promise<StoredAccount | false> {
    const changed = { ...account, updatedAt: Math.max(this.now(), (read.updatedAt ?? read.createdAt) + 1) };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: accountItem(changed, account.createdAt),
          ConditionExpression:
            read.updatedAt === undefined
              ? 'attribute_exists(#pk) AND attribute_not_exists(#owner) AND attribute_not_exists(#updatedAt)'
              : 'attribute_exists(#pk) AND attribute_not_exists(#owner) AND #updatedAt = :read',
          ExpressionAttributeNames: names(TABLE_PARTITION_KEY, 'owner', 'updatedAt'),
          ...(read.updatedAt !== undefined ? { ExpressionAttributeValues: { ':read': n(read.updatedAt) } } : {}),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
    return changed;
  }

  /** One account, or undefined. */
  async get(appId: string): Promise<StoredAccount | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshallKey(accountItemKey(appId)), ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /** Every account, by AppID. */
  async list(): Promise<StoredAccount[]> {
    return (await this.queryPartition(PARTITION)).map(fromItem);
  }

  /** How many accounts there are. */
  count(): Promise<number> {
    return this.countPartition(PARTITION);
  }

  /** Removes an account; `false` when there was none. */
  async delete(appId: string): Promise<boolean> {
    const out = await this.client.send(
      new DeleteItemCommand({ TableName: this.tableName, Key: marshallKey(accountItemKey(appId)), ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}
