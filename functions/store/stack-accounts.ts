/**
 * The accounts the stack declares (its `accounts` prop; docs/accounts.md, "Accounts known at deploy time"):
 * items of accounts.ts marked `owner: stack`, written and removed by the deploy-time custom resource
 * (functions/lambda/accounts-seed.ts) only. Apart from AccountStore so that the functions serving accounts,
 * which never write these, do not carry this code (the callback's bundle is at its 400 KB budget).
 *
 * @example
 * ```ts
 * const accounts = new StackAccountStore({ client, tableName });
 * await accounts.putOwnedByStack(await sealAccount(sealer, input));
 * ```
 */
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { accountItem, accountItemKey, AccountStore, type StoredAccount } from './accounts';
import { isConditionalCheckFailed, marshallKey, s } from './table';

/** The accounts' items, with the two writes of the stack's own accounts. */
export class StackAccountStore extends AccountStore {
  /**
   * Writes an account the stack declares, marked `owner: stack`, over whatever item that AppID has (the
   * stack's prop is the truth for it: a new secret or settings replace the old ones, and a newer
   * `createdAt` makes every container read it again, context/accounts.ts).
   */
  async putOwnedByStack(account: Omit<StoredAccount, 'createdAt' | 'owner'>): Promise<StoredAccount> {
    const createdAt = this.now();
    const stored = { ...account, owner: 'stack' as const };
    const item = { ...accountItem(stored, createdAt), owner: s(stored.owner) };
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item }));
    return { ...stored, createdAt };
  }

  /**
   * Removes an account the stack declared; `false` when there is none, or the item is not the stack's (an
   * account added again with `POST /accounts` after it left the prop stays).
   */
  async deleteOwnedByStack(appId: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshallKey(accountItemKey(appId)),
          ConditionExpression: '#owner = :stack',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':stack': s('stack') },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
    return true;
  }
}
