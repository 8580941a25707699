/**
 * The deploy-time EncodingAESKey custom resource (functions/lambda/secret-seed.ts) with the real AWS SDK
 * over HTTP: Secrets Manager is a small stand-in speaking its JSON protocol (GetSecretValue,
 * PutSecretValue), and CloudFormation's pre-signed response URL is a local server that records the PUT.
 * A fresh stack's secret gets 43 random letters and digits; a configured or already-keyed secret, a
 * retried Create, an Update and a Delete change nothing; no key appears in what the handler prints or
 * answers.
 */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { ENCODING_AES_KEY_ALPHABET, WeChatCrypto } from '../../functions/core/callback';
import { createSecretSeedHandler } from '../../functions/lambda/secret-seed';
import { cloudFormationEvent, printedWhile, secretsManagerAt } from '../support/custom-resource';

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wechat-kf-AbCdEf';
const FRESH = { appId: 'REPLACE_ME', appSecret: 'REPLACE_ME', encodingAesKey: '', callbackToken: 'Gen3ratedT0kenGen3ratedT0kenAbCd' };

interface StandIn {
  url: string;
  /** The secret's current value. */
  value: string;
  versions: number;
  puts: Array<Record<string, unknown>>;
  /** What the response URL received: headers and JSON body of each PUT. */
  responses: Array<{ contentType: string | undefined; body: Record<string, any> }>;
  failGet?: boolean;
  stop(): Promise<void>;
}

/** Secrets Manager (awsJson1_1) and the response URL, on one local server. */
async function startStandIn(initial: Record<string, unknown>): Promise<StandIn> {
  const state: StandIn = { url: '', value: JSON.stringify(initial), versions: 1, puts: [], responses: [], stop: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'PUT' && req.url?.startsWith('/cfn-response')) {
        state.responses.push({ contentType: req.headers['content-type'], body: JSON.parse(text) });
        res.end();
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(text || '{}');
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target === 'secretsmanager.GetSecretValue' && !state.failGet) {
        res.end(
          JSON.stringify({
            ARN: SECRET_ID,
            Name: 'wechat-kf',
            SecretString: state.value,
            VersionId: `0000000${state.versions}-aaaa-bbbb-cccc-000000000000`,
          }),
        );
      } else if (target === 'secretsmanager.PutSecretValue') {
        state.puts.push(body);
        state.value = body.SecretString;
        state.versions++;
        res.end(JSON.stringify({ ARN: SECRET_ID, Name: 'wechat-kf', VersionId: body.ClientRequestToken, VersionStages: ['AWSCURRENT'] }));
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'AccessDeniedException', message: `not allowed: ${target}` }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

function cfnEvent(standIn: StandIn, type: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  return cloudFormationEvent(type, {
    responseUrl: standIn.url,
    logicalId: 'WeChatKfEncodingAesKeySeedB5036B89',
    resourceType: 'Custom::EncodingAesKeySeed',
    suffix: 'seed',
    properties: { SecretId: SECRET_ID, Field: 'encodingAesKey', Alphabet: ENCODING_AES_KEY_ALPHABET, Length: '43' },
  });
}

/** Runs the handler; returns what it printed. */
async function run(standIn: StandIn, type: 'Create' | 'Update' | 'Delete'): Promise<string> {
  return printedWhile(() => createSecretSeedHandler(secretsManagerAt(standIn.url))(cfnEvent(standIn, type)));
}

describe('the EncodingAESKey seed (CloudFormation custom resource)', () => {
  let standIn: StandIn | undefined;
  afterEach(async () => {
    await standIn?.stop();
    standIn = undefined;
  });

  it('fills a fresh secret with 43 random letters and digits, keeping every other field, and says only "seeded"', async () => {
    // Prepare
    standIn = await startStandIn(FRESH);
    // Act
    const printed = await run(standIn, 'Create');
    // Assess
    const value = JSON.parse(standIn.value);
    expect(value.encodingAesKey).toMatch(/^[A-Za-z0-9]{43}$/);
    expect({ ...value, encodingAesKey: '' }).toEqual(FRESH);
    expect(() => new WeChatCrypto(value.callbackToken, value.encodingAesKey, 'wx0123456789abcdef')).not.toThrow();
    expect(standIn.responses).toHaveLength(1);
    expect(standIn.responses[0]!.contentType).toBe('');
    expect(standIn.responses[0]!.body).toMatchObject({
      Status: 'SUCCESS',
      Reason: 'seeded',
      RequestId: 'req-Create',
      Data: { Outcome: 'seeded' },
    });
    const answered = JSON.stringify(standIn.responses);
    for (const secretValue of [value.encodingAesKey, value.callbackToken]) {
      expect(printed).not.toContain(secretValue);
      expect(answered).not.toContain(secretValue);
    }
  });

  it('two fresh stacks get two different keys', async () => {
    standIn = await startStandIn(FRESH);
    await run(standIn, 'Create');
    const first = JSON.parse(standIn.value).encodingAesKey;
    await standIn.stop();
    standIn = await startStandIn(FRESH);
    await run(standIn, 'Create');
    expect(JSON.parse(standIn.value).encodingAesKey).not.toBe(first);
  });

  it.each([
    [
      'an existing deployment, configured, in plain mode without a key',
      { ...FRESH, appId: 'wx0123456789abcdef', appSecret: 'realSecret' },
      'configured',
    ],
    [
      'a secret whose key was already put there',
      { ...FRESH, encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' },
      'already-set',
    ],
    ['a secret that is not JSON', 'plain text', 'not-json'],
  ])('leaves %s exactly as it is (an update that adds the seed to an old stack)', async (_what, initial, outcome) => {
    // Prepare
    standIn = await startStandIn(initial as Record<string, unknown>);
    if (typeof initial === 'string') standIn.value = initial;
    const before = standIn.value;
    // Act
    await run(standIn, 'Create');
    // Assess
    expect(standIn.puts).toHaveLength(0);
    expect(standIn.value).toBe(before);
    expect(standIn.responses[0]!.body).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: outcome } });
  });

  it('a retried Create, an Update and a Delete never draw a second key', async () => {
    // Prepare
    standIn = await startStandIn(FRESH);
    await run(standIn, 'Create');
    const key = JSON.parse(standIn.value).encodingAesKey;
    // Act
    await run(standIn, 'Create');
    await run(standIn, 'Update');
    await run(standIn, 'Delete');
    // Assess
    expect(standIn.puts).toHaveLength(1);
    expect(JSON.parse(standIn.value).encodingAesKey).toBe(key);
    expect(standIn.responses.map((r) => [r.body.Status, r.body.PhysicalResourceId])).toEqual([
      ['SUCCESS', 'WeChatKfEncodingAesKeySeedB5036B89-seed'],
      ['SUCCESS', 'WeChatKfEncodingAesKeySeedB5036B89-seed'],
      ['SUCCESS', 'WeChatKfEncodingAesKeySeedB5036B89-seed'],
      ['SUCCESS', 'WeChatKfEncodingAesKeySeedB5036B89-seed'],
    ]);
  });

  it('answers FAILED with the reason when the secret cannot be read, writing nothing', async () => {
    // Prepare
    standIn = await startStandIn(FRESH);
    standIn.failGet = true;
    // Act
    const printed = await run(standIn, 'Create');
    // Assess
    expect(standIn.puts).toHaveLength(0);
    expect(standIn.responses[0]!.body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/could not fill encodingAesKey of the secret: AccessDeniedException/),
    });
    expect(printed).toMatch(/could not fill encodingAesKey/);
    expect(printed).not.toContain(FRESH.callbackToken);
  });
});
