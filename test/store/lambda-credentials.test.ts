/**
 * The credential source of the bundles that carry their own AWS SDK (functions/store/lambda-credentials.ts,
 * put in place of the SDK's default chain by infra/lib/bundling.ts): a real DynamoDB client given it as
 * its default provider signs with the environment's credentials, and without them refuses with an error
 * that names the variables, before any request leaves.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ConfigurationError } from '../../functions/core/errors';
import { defaultProvider } from '../../functions/store/lambda-credentials';
import { startTestDynamo, type TestDynamo } from './helpers';

const KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

describe('the environment-only credentials of SDK-bundled functions', () => {
  let dynamo: TestDynamo;
  const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
  beforeAll(async () => {
    dynamo = await startTestDynamo();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  afterEach(() => {
    for (const k of KEYS)
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
  });
  const client = () =>
    new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentialDefaultProvider: defaultProvider as never,
      maxAttempts: 1,
    });

  it("signs with the execution role's credentials from the environment, as Lambda sets them", async () => {
    // prepare
    process.env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLEFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-from-env';
    process.env.AWS_SESSION_TOKEN = 'session-from-env';
    const ddb = client();
    // act
    const credentials = await defaultProvider()();
    const tables = await ddb.send(new ListTablesCommand({}));
    // assess
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAEXAMPLEFROMENV',
      secretAccessKey: 'secret-from-env',
      sessionToken: 'session-from-env',
    });
    expect(Array.isArray(tables.TableNames)).toBe(true);
    ddb.destroy();
  });

  it('refuses without them, with an error naming the variables', async () => {
    // prepare
    for (const k of KEYS) delete process.env[k];
    const ddb = client();
    // act
    const sent = ddb.send(new ListTablesCommand({}));
    // assess
    await expect(sent).rejects.toThrow(ConfigurationError);
    await expect(ddb.send(new ListTablesCommand({}))).rejects.toThrow(
      /no AWS credentials in the environment \(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY\)/,
    );
    ddb.destroy();
  });
});
