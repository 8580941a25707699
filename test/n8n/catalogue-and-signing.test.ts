/**
 * The node's resources and operations against the core catalogue, the package's shape, and the SigV4
 * signer of the gateway credential (a known AWS test vector, and @smithy/signature-v4 on many requests).
 * Uses the built package: `npm run build --workspace n8n-nodes` first.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { CATALOGUE, MESSAGE_TYPES } from '../../functions/core/catalogue';
import { signRequest } from '../../n8n-nodes/shared/sigv4';
import { loadPackage, requireDist } from './harness';

const { pkg, nodes, credentials } = loadPackage();
const action = nodes['n8n-nodes-wechat-kf.weChatKf']!;
const props = action.description.properties;

function optionValues(name: string, show: Record<string, string[]> = {}): string[] {
  const matching = props.filter(
    (p) => p.name === name && Object.entries(show).every(([k, v]) => JSON.stringify(p.displayOptions?.show?.[k]) === JSON.stringify(v)),
  );
  // Each version (and, in version 2, each credential mode for Resource) lists its own: every value once.
  return [...new Set(matching.flatMap((p) => (p.options ?? []).map((o) => String((o as { value: unknown }).value))))];
}

describe('the action node covers the core catalogue', () => {
  it('has one resource per catalogue resource', () => {
    expect(optionValues('resource').sort()).toEqual([...new Set(CATALOGUE.map((op) => op.resource))].sort());
  });

  it('every catalogue operation is performed by some node operation', async () => {
    // Ask each node operation, through the built node's own module, which catalogue operations it performs.
    const src = requireDist<{ RESOURCES?: unknown }>('nodes/WeChatKf/WeChatKf.node.js');
    expect(src).toBeDefined();
    const performed = new Set<string>();
    for (const resource of optionValues('resource')) {
      for (const operation of optionValues('operation', { resource: [resource] })) {
        const option = props
          .filter((p) => p.name === 'operation' && p.displayOptions?.show?.resource?.[0] === resource)
          .flatMap((p) => p.options ?? [])
          .find((o) => (o as { value: string }).value === operation) as { action?: string } | undefined;
        expect(option?.action).toBeTruthy();
        performed.add(`${resource}:${operation}`);
      }
    }
    const missing = CATALOGUE.filter((op) => {
      if (op.resource === 'message')
        return !performed.has('message:send') || (op.msgtype !== undefined && !optionValues('msgtype').includes(op.msgtype));
      return !performed.has(`${op.resource}:${op.action}`);
    }).map((op) => op.name);
    expect(missing).toEqual([]);
  });

  it('offers every message type of the catalogue, plus Raw JSON', () => {
    expect(optionValues('msgtype')).toEqual([...MESSAGE_TYPES, 'raw']);
  });

  it('each message type has its own fields', () => {
    for (const type of MESSAGE_TYPES) {
      expect(props.filter((p) => p.displayOptions?.show?.msgtype?.includes(type)).length).toBeGreaterThan(0);
    }
  });

  it('is usable as a tool and lists both credential modes', () => {
    expect(action.description.usableAsTool).toBe(true);
    // The callback credential is optional, for version 2's Direct Message → Reply to a safe-mode push only.
    expect(action.description.credentials?.map((c) => [c.name, c.required, c.displayOptions?.show])).toEqual([
      ['weChatOfficialAccountApi', true, { authentication: ['direct'] }],
      ['weChatCallbackApi', false, { authentication: ['direct'], resource: ['message'], operation: ['reply'], '@version': [2] }],
      ['weChatKfGatewayApi', true, { authentication: ['gateway'] }],
    ]);
  });
});

describe('the package', () => {
  it('is a strict community package without runtime dependencies', () => {
    const full = pkg as unknown as Record<string, unknown>;
    expect(full.name).toBe('n8n-nodes-wechat-kf');
    expect(full.keywords).toContain('n8n-community-node-package');
    expect(full.dependencies).toBeUndefined();
    expect(full.peerDependencies).toEqual({ 'n8n-workflow': '*' });
    expect((full.n8n as { strict: boolean }).strict).toBe(true);
    expect(Object.keys(credentials).sort()).toEqual(['weChatCallbackApi', 'weChatKfGatewayApi', 'weChatOfficialAccountApi']);
  });

  it('the direct credential keeps its token in a hidden expirable field and sends it as access_token', async () => {
    const cred = credentials.weChatOfficialAccountApi!;
    const token = cred.properties.find((p) => p.name === 'accessToken');
    expect(token).toMatchObject({ type: 'hidden', typeOptions: { expirable: true } });
    expect(typeof cred.preAuthentication).toBe('function');
    // A function (so it can ask for a renewal once the token is stale: test/n8n/credential-renewal.test.ts).
    const authenticate = cred.authenticate as unknown as (
      c: Record<string, unknown>,
      r: Record<string, unknown>,
    ) => Promise<Record<string, unknown>>;
    expect(await authenticate({ accessToken: 'T', renewAfter: Date.now() + 60_000 }, {})).toEqual({ qs: { access_token: 'T' } });
    expect(cred.test).toBeDefined();
  });
});

describe('SigV4 signer of the gateway credential', () => {
  // The signer is bundled into the credential: reach it through authenticate().
  const gateway = credentials.weChatKfGatewayApi!;
  const authenticate = gateway.authenticate as unknown as (
    c: Record<string, unknown>,
    r: Record<string, unknown>,
  ) => Promise<Record<string, unknown>>;

  it("matches AWS's published SigV4 test vectors (get-vanilla, post-vanilla, get-vanilla-query-order-key-case)", () => {
    const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    const options = { region: 'us-east-1', service: 'service', date: new Date('2015-08-30T12:36:00Z'), contentSha256: false };
    const vectors: [string, string, string][] = [
      ['GET', 'https://example.amazonaws.com/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
      ['POST', 'https://example.amazonaws.com/', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
      [
        'GET',
        'https://example.amazonaws.com/?Param2=value2&Param1=value1',
        'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
      ],
    ];
    for (const [method, url, signature] of vectors) {
      const headers = signRequest({ method, url }, creds, options);
      expect(headers.Authorization).toBe(
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
      );
      expect(headers['X-Amz-Date']).toBe('20150830T123600Z');
    }
  });

  it('signs like @smithy/signature-v4 (the AWS SDK) for the gateway routes', async () => {
    const cases = [
      { method: 'GET', path: '/prod/kf-accounts', body: undefined },
      { method: 'POST', path: '/prod/messages', body: { touser: 'o1', msgtype: 'text', text: { content: '你好' } } },
      { method: 'PUT', path: '/prod/kf-accounts/kf1%40wx', body: { nickname: 'A' } },
      { method: 'DELETE', path: '/prod/kf-accounts/kf1%40wx', body: undefined },
      { method: 'GET', path: '/prod/interactions/o%2Babc', body: undefined },
    ];
    const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'SESSION' };
    const host = 'abc123.execute-api.eu-west-1.amazonaws.com';
    for (const c of cases) {
      const date = new Date();
      const ours = await authenticate(
        { url: `https://${host}`, region: 'eu-west-1', ...creds },
        {
          method: c.method,
          url: `https://${host}${c.path}`,
          body: c.body,
          headers: c.body ? { 'content-type': 'application/json; charset=utf-8' } : {},
        },
      );
      const oursHeaders = ours.headers as Record<string, string>;
      const signer = new SignatureV4({ service: 'execute-api', region: 'eu-west-1', credentials: creds, sha256: Sha256 });
      const headers: Record<string, string> = { host };
      if (c.body) headers['content-type'] = 'application/json; charset=utf-8';
      const theirs = await signer.sign(
        { method: c.method, protocol: 'https:', hostname: host, path: c.path, headers, body: c.body ? JSON.stringify(c.body) : undefined },
        { signingDate: new Date(oursHeaders['X-Amz-Date']!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')) },
      );
      const sig = (h: string) => /Signature=([0-9a-f]{64})/.exec(h)![1];
      expect({ path: c.path, auth: oursHeaders.Authorization }).toEqual({ path: c.path, auth: String(theirs.headers.authorization) });
      expect(ours.body).toBe(c.body ? JSON.stringify(c.body) : undefined);
      void date;
    }
  });
});
