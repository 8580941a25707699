/**
 * How a container keeps an added account's context (functions/context/accounts.ts, AccountContexts), on
 * dynalite with a fake clock: built once and kept while its item keeps its version, the item read again at
 * most once a minute; a change is picked up then, a removal is a 404 then; a failed build is not kept.
 * The interactions function and every AccountDirectory keep accounts through it.
 */
import { AccountNotFoundError } from '../../functions/core/accounts';
import { ACCOUNT_CACHE_MS, AccountContexts } from '../../functions/context/accounts';
import { AccountStore, type StoredAccount } from '../../functions/store/accounts';
import { useTestTable } from '../support/dynamo';

const B = 'wxbbbbbbbbbbbbbbbb';
const { dynamo, table, clock } = useTestTable();

function setUp(build: (stored: StoredAccount) => Promise<string> = async (s) => `${s.appId}@${s.updatedAt ?? s.createdAt}`) {
  const store = new AccountStore({ client: dynamo.client, tableName: table.name, now: clock.now });
  const reads: string[] = [];
  const builds: string[] = [];
  const counted = {
    get: (appId: string) => {
      reads.push(appId);
      return store.get(appId);
    },
  };
  const contexts = new AccountContexts<string>(counted, clock.now, (stored) => {
    builds.push(stored.appId);
    return build(stored);
  });
  const add = () =>
    store.put({
      appId: B,
      settings: {},
      sealedSecret: 'sealed',
      hasCallbackToken: false,
      hasEncodingAesKey: false,
    }) as Promise<StoredAccount>;
  return { store, contexts, reads, builds, add };
}

describe('AccountContexts', () => {
  it('builds an account once and reads its item at most once a minute', async () => {
    // prepare
    const { contexts, reads, builds, add } = setUp();
    await add();
    // act
    const first = await contexts.of(B);
    clock.advance(ACCOUNT_CACHE_MS - 1);
    const within = await contexts.of(B);
    clock.advance(1);
    const after = await contexts.of(B);
    // assess
    expect([first, within, after]).toEqual([first, first, first]);
    expect(reads).toEqual([B, B]);
    expect(builds).toEqual([B]);
  });

  it('rebuilds on a new version and answers 404 once the account is gone, each within a minute', async () => {
    // prepare
    const { store, contexts, builds, add } = setUp();
    const stored = await add();
    const before = await contexts.of(B);
    clock.advance(5);
    await store.replace({ ...stored, name: 'Shop B', updatedAt: clock.now() }, stored);
    // act
    const stale = await contexts.of(B);
    clock.advance(ACCOUNT_CACHE_MS);
    const changed = await contexts.of(B);
    await store.delete(B);
    const cachedAfterDelete = await contexts.of(B);
    clock.advance(ACCOUNT_CACHE_MS);
    const gone = contexts.of(B);
    // assess
    expect(stale).toBe(before);
    expect(changed).not.toBe(before);
    expect(builds).toEqual([B, B]);
    expect(cachedAfterDelete).toBe(changed);
    await expect(gone).rejects.toBeInstanceOf(AccountNotFoundError);
  });

  it('does not keep a build that failed: the next request tries again', async () => {
    // prepare
    let fail = true;
    const { contexts, builds, add } = setUp(async (s) => {
      if (fail) throw new Error('the secret does not open');
      return s.appId;
    });
    await add();
    // act
    const failed = contexts.of(B);
    await expect(failed).rejects.toThrow('the secret does not open');
    fail = false;
    const retried = await contexts.of(B);
    // assess
    expect(retried).toBe(B);
    expect(builds).toEqual([B, B]);
  });

  it('forgets an account this container changed, reading it at once', async () => {
    // prepare
    const { contexts, reads, add } = setUp();
    await add();
    await contexts.of(B);
    // act
    contexts.forget(B);
    await contexts.of(B);
    // assess
    expect(reads).toEqual([B, B]);
  });
});
