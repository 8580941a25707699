/**
 * The deploy-time accounts custom resource (functions/lambda/accounts-seed.ts) with the real AWS SDK over
 * HTTP: DynamoDB is dynalite, Secrets Manager and KMS are a small stand-in speaking their JSON protocols
 * (KMS binds each ciphertext to its encryption context, as KMS does), and CloudFormation's pre-signed
 * response URL is the same server recording the PUT. The real KmsSecretSealer seals with the account key.
 *
 * Create writes every listed account as the stack's; Update rewrites them and removes the ones no longer
 * listed; Delete removes the stack's and leaves the API's; a secret naming another AppID fails the
 * resource naming the account and writes nothing; no secret value appears in what it prints or answers;
 * the API answers `managedBy: 'stack'` and refuses to delete such an account.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { AccountDirectory } from '../../functions/context/accounts';
import { configFromEnv } from '../../functions/context/config';
import type { DeployTimeAccountProperty } from '../../functions/lambda/accounts-seed';
import { createAccountsSeedHandler } from '../../functions/lambda/accounts-seed';
import { createDynamoClient, ensureTable, startEmbeddedDynamo, type EmbeddedDynamo } from '../../functions/store';
import { StackAccountStore } from '../../functions/store/stack-accounts';
import { KmsSecretSealer } from '../../functions/webhooks/sealer';
import { cloudFormationEvent, printedWhile, secretsManagerAt } from '../support/custom-resource';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/accounts';
const A = 'wxaaaaaaaaaaaaaaaa';
const B = 'wxbbbbbbbbbbbbbbbb';
const C = 'wxcccccccccccccccc';
const D = 'wxdddddddddddddddd';
const DEFAULT = 'wx0123456789abcdef';
const arn = (appId: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:wechat/${appId}-AbCdEf`;
/** Each account's secret value; every one of these strings must stay out of logs and answers. */
const secretOf = (appId: string, version = 1) => ({
  appId,
  appSecret: `appSecretOf${appId}v${version}`,
  callbackToken: `tok${appId.slice(2, 10)}${version}`,
  encodingAesKey: `${appId.slice(2)}${'K'.repeat(43 - appId.length + 2 - 1)}${version}`,
});

interface StandIn {
  url: string;
  secrets: Map<string, string>;
  encrypts: Array<{ KeyId: string; EncryptionContext: Record<string, string> }>;
  responses: Array<Record<string, any>>;
  stop(): Promise<void>;
}

/** Secrets Manager GetSecretValue and KMS Encrypt/Decrypt (awsJson1_1), and the response URL. */
async function startStandIn(): Promise<StandIn> {
  const state: StandIn = { url: '', secrets: new Map(), encrypts: [], responses: [], stop: async () => undefined };
  /** Ciphertext → the context it was sealed with: Decrypt with another context fails, as with KMS. */
  const contexts = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'PUT' && req.url?.startsWith('/cfn-response')) {
        state.responses.push(JSON.parse(text));
        res.end();
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(text || '{}');
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      const fail = (type: string, message: string) => {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: type, message }));
      };
      if (target === 'secretsmanager.GetSecretValue') {
        const value = state.secrets.get(body.SecretId);
        if (value === undefined) return fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        res.end(JSON.stringify({ ARN: body.SecretId, Name: 'x', SecretString: value, VersionId: 'v1' }));
      } else if (target === 'TrentService.Encrypt') {
        state.encrypts.push({ KeyId: body.KeyId, EncryptionContext: body.EncryptionContext });
        // The "ciphertext" is the plaintext reversed: not the plaintext, and opened by Decrypt.
        const blob = Buffer.from(body.Plaintext, 'base64').reverse().toString('base64');
        contexts.set(blob, JSON.stringify(body.EncryptionContext));
        res.end(JSON.stringify({ KeyId: body.KeyId, CiphertextBlob: blob, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }));
      } else if (target === 'TrentService.Decrypt') {
        if (contexts.get(body.CiphertextBlob) !== JSON.stringify(body.EncryptionContext)) return fail('InvalidCiphertextException', '');
        const plain = Buffer.from(body.CiphertextBlob, 'base64').reverse().toString('base64');
        res.end(JSON.stringify({ KeyId: KEY, Plaintext: plain, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }));
      } else {
        fail('AccessDeniedException', `not allowed: ${target}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

const declared = (appId: string, extra: Partial<DeployTimeAccountProperty> = {}): DeployTimeAccountProperty => ({
  appId,
  secretArn: arn(appId),
  settings: '{}',
  ...extra,
});

function cfnEvent(
  standIn: StandIn,
  type: 'Create' | 'Update' | 'Delete',
  accounts: DeployTimeAccountProperty[],
  old: DeployTimeAccountProperty[] = [],
): CloudFormationCustomResourceEvent {
  return cloudFormationEvent(type, {
    responseUrl: standIn.url,
    logicalId: 'WeChatKfDeployTimeAccounts1234ABCD',
    resourceType: 'Custom::DeployTimeAccounts',
    suffix: 'accounts',
    properties: { Accounts: accounts },
    oldProperties: { Accounts: old },
  });
}

describe('deploy-time accounts (CloudFormation custom resource)', () => {
  let dynamo: EmbeddedDynamo;
  let standIn: StandIn;
  let store: StackAccountStore;
  let sealer: KmsSecretSealer;
  let tableName: string;
  const saved = { ...process.env };
  let table = 0;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  beforeEach(async () => {
    standIn = await startStandIn();
    // The sealer's KMS client is the SDK's default one, redirected to the stand-in as deployed.test.ts does.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_KMS: standIn.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    tableName = `accounts-seed-${++table}`;
    await ensureTable(client, tableName);
    store = new StackAccountStore({ client, tableName });
    sealer = new KmsSecretSealer(KEY, 'appId');
  });
  afterEach(async () => {
    await standIn.stop();
    process.env = { ...saved };
  });

  /** Runs the handler; returns what it printed and its answer. */
  async function run(
    event: CloudFormationCustomResourceEvent,
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ printed: string; answer: Record<string, any> }> {
    const secrets = secretsManagerAt(standIn.url);
    const printed = await printedWhile(() => createAccountsSeedHandler(() => ({ secrets, store, sealer, env }))(event));
    return { printed, answer: standIn.responses.at(-1)! };
  }

  const putSecret = (appId: string, value: object | string = secretOf(appId)) =>
    standIn.secrets.set(arn(appId), typeof value === 'string' ? value : JSON.stringify(value));
  /** What the account's sealed secret opens to, with the account key and its AppID. */
  const opened = async (appId: string) => JSON.parse(await sealer.open(appId, (await store.get(appId))!.sealedSecret));
  const directory = () =>
    new AccountDirectory<object>({
      store,
      sealer,
      defaultContext: { secrets: { appId: DEFAULT, appSecret: 'defaultSecret' }, config: configFromEnv({}) },
      env: {},
      build: async () => ({}),
      now: Date.now,
    });
  /** No secret value (nor its sealed form's plaintext) in what was printed or answered. */
  function expectNoSecret(output: string, appIds: string[]) {
    for (const appId of appIds)
      for (const version of [1, 2]) {
        const { appSecret, callbackToken, encodingAesKey } = secretOf(appId, version);
        for (const value of [appSecret, callbackToken, encodingAesKey]) expect(output).not.toContain(value);
      }
  }

  it('Create writes each listed account as the stack’s, sealed with the account key for its AppID; the API shows it managed by the stack and will not delete it', async () => {
    // Prepare: A is also in the table already, added through the API: the stack's declaration takes it over
    putSecret(A);
    putSecret(B);
    await directory().service().create({ appId: A, appSecret: 'apiAddedSecretOfA', settings: {} });
    standIn.encrypts.length = 0;
    // Act
    const { printed, answer } = await run(
      cfnEvent(standIn, 'Create', [
        declared(A, { name: 'Brand A', settings: '{"replyMode":"passive","aiLabelDefault":true}' }),
        declared(B),
      ]),
    );
    // Assess
    expect(answer).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'WeChatKfDeployTimeAccounts1234ABCD-accounts',
      RequestId: 'req-Create',
      Data: { Written: '2', Removed: '0' },
    });
    expect(standIn.encrypts).toEqual([
      { KeyId: KEY, EncryptionContext: { appId: A } },
      { KeyId: KEY, EncryptionContext: { appId: B } },
    ]);
    expect(await opened(A)).toEqual(secretOf(A));
    expect(await opened(B)).toEqual(secretOf(B));
    const stored = (await store.get(A))!;
    expect(stored).toMatchObject({ owner: 'stack', name: 'Brand A', settings: { replyMode: 'passive', aiLabelDefault: true } });
    expect(stored.sealedSecret).not.toContain(secretOf(A).appSecret);
    const service = directory().service();
    const listed = (await service.list()).accounts;
    expect(listed.map((a) => [a.appId, a.managedBy])).toEqual([
      [DEFAULT, undefined],
      [A, 'stack'],
      [B, 'stack'],
    ]);
    expect(listed[1]).toMatchObject({ hasCallbackToken: true, hasEncodingAesKey: true, callbackPath: `/callback/${A}` });
    await expect(service.delete(A)).rejects.toMatchObject({ code: 'ACCOUNT_MANAGED_BY_STACK', status: 409 });
    await expect(service.delete(A)).rejects.toThrow(/accounts prop/);
    await expect(service.create({ appId: B, appSecret: 'x', settings: {} })).rejects.toMatchObject({ code: 'ACCOUNT_EXISTS' });
    expect(await store.get(A)).toBeDefined();
    expectNoSecret(printed + JSON.stringify(standIn.responses), [A, B]);
  });

  it('Update rewrites the listed accounts (a new secret value takes effect), adds the new, removes the ones no longer listed, and leaves the API’s own', async () => {
    // Prepare
    putSecret(A);
    putSecret(B);
    await run(cfnEvent(standIn, 'Create', [declared(A), declared(B)]));
    await directory().service().create({ appId: D, appSecret: 'apiAddedSecretOfD', settings: {} });
    putSecret(B, secretOf(B, 2));
    putSecret(C);
    // Act
    const { printed, answer } = await run(cfnEvent(standIn, 'Update', [declared(B), declared(C)], [declared(A), declared(B)]));
    // Assess
    expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { Written: '2', Removed: '1' } });
    expect(await store.get(A)).toBeUndefined();
    expect(await opened(B)).toEqual(secretOf(B, 2));
    expect(await opened(C)).toEqual(secretOf(C));
    expect((await store.get(D))?.owner).toBeUndefined();
    expect((await store.list()).map((a) => a.appId)).toEqual([B, C, D]);
    expectNoSecret(printed + JSON.stringify(standIn.responses), [A, B, C]);
  });

  it('Delete removes the stack’s accounts and leaves an account the API added', async () => {
    // Prepare
    putSecret(A);
    putSecret(B);
    await run(cfnEvent(standIn, 'Create', [declared(A), declared(B)]));
    await directory().service().create({ appId: D, appSecret: 'apiAddedSecretOfD', settings: {} });
    // Act
    const { answer } = await run(cfnEvent(standIn, 'Delete', [declared(A), declared(B), declared(D)]));
    // Assess
    expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { Written: '0', Removed: '2' } });
    expect((await store.list()).map((a) => a.appId)).toEqual([D]);
  });

  it.each([
    [
      'a secret naming another AppID',
      { ...secretOf(B), appId: C },
      /the account wxbbbbbbbbbbbbbbbb .*the secret's appId is not wxbbbbbbbbbbbbbbbb/,
    ],
    [
      'a secret without its appSecret',
      { appId: B, callbackToken: secretOf(B).callbackToken },
      /the account wxbbbbbbbbbbbbbbbb .*appSecret is required/,
    ],
    ['a secret that is not JSON', `not json ${secretOf(B).appSecret}`, /the account wxbbbbbbbbbbbbbbbb .*the secret is not JSON/],
    [
      'a token WeChat would refuse',
      { ...secretOf(B), callbackToken: `${secretOf(B).callbackToken}!` },
      /the account wxbbbbbbbbbbbbbbbb .*callbackToken: 3 to 32 letters or digits/,
    ],
  ])('%s fails the resource naming the account, not the secret, and writes nothing', async (_what, value, reason) => {
    // Prepare
    putSecret(A);
    putSecret(B, value as object | string);
    // Act
    const { printed, answer } = await run(cfnEvent(standIn, 'Create', [declared(A), declared(B)]));
    // Assess
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(reason);
    expect(answer.Data).toEqual({});
    expect(await store.list()).toEqual([]);
    expect(standIn.encrypts).toEqual([]);
    expect(printed).toMatch(reason);
    expectNoSecret(printed + JSON.stringify(standIn.responses), [A, B]);
  });

  it('a secret it may not read fails the resource naming the account and the ARN', async () => {
    putSecret(A);
    const { answer } = await run(cfnEvent(standIn, 'Create', [declared(A), declared(B)]));
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`the account ${B} (secret ${arn(B)}): the secret cannot be read: ResourceNotFoundException`);
    expect(await store.list()).toEqual([]);
  });

  it('a wrong setting fails the resource naming the account and the setting', async () => {
    putSecret(A);
    const { answer } = await run(cfnEvent(standIn, 'Create', [declared(A, { settings: '{"replyMode":"loud"}' })]));
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/the account wxaaaaaaaaaaaaaaaa .*settings\.replyMode: REPLY_MODE/);
    expect(await store.list()).toEqual([]);
  });

  it("checks a setting laid over the deployment's variables, as the functions lay it", async () => {
    // Prepare: a reply when no agent is online needs the offline text; only the deployment sets one
    putSecret(A);
    const replying = declared(A, { settings: '{"handoffWhenOffline":"reply"}' });
    // Act
    const alone = await run(cfnEvent(standIn, 'Create', [replying]));
    const withText = await run(cfnEvent(standIn, 'Create', [replying]), { HANDOFF_OFFLINE_TEXT: 'An agent will answer soon' });
    // Assess
    expect(alone.answer.Status).toBe('FAILED');
    expect(alone.answer.Reason).toMatch(/settings\.handoffWhenOffline: HANDOFF_WHEN_OFFLINE=reply needs HANDOFF_OFFLINE_TEXT/);
    expect(withText.answer.Status).toBe('SUCCESS');
    expect((await store.get(A))?.settings).toEqual({ handoffWhenOffline: 'reply' });
  });

  it('a Delete whose table is gone, or whose properties are unreadable, still succeeds (the stack can be deleted)', async () => {
    const gone = new StackAccountStore({ client: createDynamoClient({ endpoint: dynamo.endpoint }), tableName: 'no-such-table' });
    store = gone;
    expect((await run(cfnEvent(standIn, 'Delete', [declared(A)]))).answer.Status).toBe('SUCCESS');
    const bad = cfnEvent(standIn, 'Delete', []);
    (bad.ResourceProperties as Record<string, unknown>).Accounts = [{ appId: 'nope' }];
    expect((await run(bad)).answer.Status).toBe('SUCCESS');
  });
});
