/**
 * The doctor against the sandbox over real HTTP: each failure mode WeChat has for a real configuration
 * (40013, 40125, 40164 with the caller's IP, 48001, 40200, a malformed Token or EncodingAESKey, a callback
 * that does not verify, a placeholder secret), each with what the user reads, and never a secret in it.
 * The CLI (`npm run doctor`) is run as a process, reading the deployed secret from a Secrets Manager
 * stand-in that speaks the SDK's JSON protocol.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { formatReport, runDoctor, type DoctorReport } from '../../functions/dev/doctor/checks';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { runDoctorCli } from '../support/doctor-cli';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const TOKEN = 'doctorToken123';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

const check = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id)!;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

describe('doctor: each check against the sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
  });
  afterAll(async () => sandbox.stop());
  beforeEach(() => sandbox.reset());

  const base = () => ({
    appId: sandbox.appId,
    appSecret: sandbox.appSecret,
    apiBaseUrl: sandbox.url,
    callbackToken: TOKEN,
    encodingAesKey: AES_KEY,
  });

  it('passes a good configuration, without a word of its secrets', async () => {
    // Act
    const report = await runDoctor(base());
    // Assess
    expect(report.ok).toBe(true);
    expect(Object.fromEntries(report.checks.map((c) => [c.id, c.status]))).toEqual({
      credentials: 'pass',
      ipWhitelist: 'pass',
      kfApi: 'pass',
      menuMessages: 'pass',
      callbackToken: 'pass',
      encodingAesKey: 'pass',
      callbackUrl: 'skip',
      deployedSecret: 'skip',
    });
    const text = JSON.stringify(report) + formatReport(report);
    for (const secret of [sandbox.appSecret, TOKEN, AES_KEY]) expect(text).not.toContain(secret);
    // Nobody got the menu probe
    expect(sandbox.messages()).toEqual([]);
  });

  it('40013: says the AppID is unknown and where to copy it from', async () => {
    const report = await runDoctor({ ...base(), appId: 'wx0000000000000000' });
    const c = check(report, 'credentials');
    expect(report.ok).toBe(false);
    expect(c).toMatchObject({ status: 'fail', errcode: 40013 });
    expect(c.detail).toContain('does not know this AppID');
    expect(c.fix).toContain('WECHAT_APP_ID');
    expect(check(report, 'kfApi').status).toBe('skip');
  });

  it('40125: says the AppSecret is wrong and how to reset it, never showing it', async () => {
    const wrong = 'not-the-secret-at-all';
    const report = await runDoctor({ ...base(), appSecret: wrong });
    const c = check(report, 'credentials');
    expect(c).toMatchObject({ status: 'fail', errcode: 40125 });
    expect(c.fix).toMatch(/Reset the AppSecret/);
    expect(JSON.stringify(report)).not.toContain(wrong);
  });

  it('40164: prints the IP WeChat saw and where to whitelist it', async () => {
    // Prepare: WeChat refuses this machine (the sandbox names the caller, as WeChat does)
    sandbox.injectFault({ path: '/cgi-bin/stable_token', kind: 'errcode', errcode: 40164 });
    // Act
    const report = await runDoctor(base());
    // Assess
    const c = check(report, 'ipWhitelist');
    expect(c).toMatchObject({ status: 'fail', errcode: 40164 });
    expect(c.detail).toContain("this machine's IP 127.0.0.1 is not on the account's IP whitelist");
    expect(c.fix).toContain(
      'Add 127.0.0.1/32 in 微信开发者平台 (developers.weixin.qq.com/platform → 我的业务 → the official account) → IP whitelist',
    );
    expect(c.fix).toContain('exact IPs or CIDR only');
    expect(c.fix).toContain('a token handed to another system (GET /access-token) is refused with 40164 from any IP not on it');
    expect(c.fix).toContain('EgressIp');
    expect(c.fix).not.toContain('mp.weixin.qq.com');
    expect(check(report, 'credentials').status).toBe('skip');
  });

  it("40164: reads the IP out of WeChat's own errmsg", async () => {
    sandbox.injectFault({
      path: '/cgi-bin/stable_token',
      kind: 'errcode',
      errcode: 40164,
      errmsg: 'invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 6650a1b2-1234',
    });
    const report = await runDoctor(base());
    expect(check(report, 'ipWhitelist').fix).toContain('Add 203.0.113.7/32 ');
  });

  it('48001: says the kf API needs a verified enterprise account', async () => {
    sandbox.injectFault({ path: '/cgi-bin/customservice/getkflist', kind: 'errcode', errcode: 48001 });
    const report = await runDoctor(base());
    const c = check(report, 'kfApi');
    expect(c).toMatchObject({ status: 'fail', errcode: 48001 });
    expect(c.fix).toContain('verified');
    expect(c.fix).toContain('enterprise');
  });

  it('48001 on an account switched to no customer-service API: recommends REPLY_MODE=passive, and with it warns instead of failing', async () => {
    // Prepare: the sandbox as a personal-subject account (48001 on the whole customer-service API)
    const account = (on: boolean) =>
      fetch(`${sandbox.url}/sandbox/account`, { method: 'PUT', body: JSON.stringify({ customerServiceApi: on }) });
    await account(false);
    try {
      // Act
      const plain = await runDoctor(base());
      const passive = await runDoctor({ ...base(), replyMode: 'passive' });
      // Assess
      expect(check(plain, 'kfApi')).toMatchObject({ status: 'fail', errcode: 48001 });
      expect(check(plain, 'kfApi').fix).toContain('REPLY_MODE=passive');
      expect(check(plain, 'menuMessages')).toMatchObject({ status: 'fail', errcode: 48001 });
      expect(check(passive, 'kfApi')).toMatchObject({ status: 'warn', errcode: 48001 });
      expect(check(passive, 'menuMessages').status).toBe('skip');
    } finally {
      await account(true);
    }
  });

  it('40200: says menu messages are not allowed for this account type', async () => {
    sandbox.injectFault({ path: '/cgi-bin/message/custom/send', kind: 'errcode', errcode: 40200 });
    const report = await runDoctor(base());
    const c = check(report, 'menuMessages');
    expect(c).toMatchObject({ status: 'fail', errcode: 40200 });
    expect(c.detail).toContain('may not send menu messages');
    expect(check(report, 'kfApi').status).toBe('pass');
  });

  it('says what is wrong with a malformed Token or EncodingAESKey, without showing them', async () => {
    const badToken = 'has spaces and-dashes';
    const badKey = 'tooShortKey';
    const report = await runDoctor({ ...base(), callbackToken: badToken, encodingAesKey: badKey });
    expect(check(report, 'callbackToken')).toMatchObject({ status: 'fail' });
    expect(check(report, 'callbackToken').detail).toContain('3-32 letters or digits');
    expect(check(report, 'encodingAesKey')).toMatchObject({ status: 'fail' });
    expect(check(report, 'encodingAesKey').detail).toContain('43');
    expect(JSON.stringify(report)).not.toContain(badToken);
    expect(JSON.stringify(report)).not.toContain(badKey);
  });

  it('checks the callback URL with a signed URL check: refuses one that answers wrongly, warns of one that verifies nothing', async () => {
    // Prepare: three servers: the product's own /callback, one that answers 401 to everything, one that echoes anything
    const dataDir = mkdtempSync(join(tmpdir(), 'doctor-local-'));
    const product: LocalProduct = await startLocal({ port: 0, dataDir, env: { WECHAT_CALLBACK_TOKEN: TOKEN } });
    const refusing = createServer((_req, res) => res.writeHead(401).end('bad signature'));
    const echoing = createServer((req, res) => res.end(new URL(req.url!, 'http://x').searchParams.get('echostr') ?? ''));
    const [refusingUrl, echoingUrl] = await Promise.all([listen(refusing), listen(echoing)]);
    try {
      // Act
      const good = await runDoctor({ ...base(), callbackUrl: `${product.url}/callback` });
      const refused = await runDoctor({ ...base(), callbackUrl: `${refusingUrl}/callback` });
      const open = await runDoctor({ ...base(), callbackUrl: `${echoingUrl}/callback` });
      const unreachable = await runDoctor({ ...base(), callbackUrl: 'http://127.0.0.1:1/callback', timeoutMs: 2000 });
      // Assess
      expect(check(good, 'callbackUrl')).toMatchObject({ status: 'pass' });
      expect(check(refused, 'callbackUrl')).toMatchObject({ status: 'fail' });
      expect(check(refused, 'callbackUrl').fix).toContain('same Token');
      expect(check(open, 'callbackUrl')).toMatchObject({ status: 'warn' });
      expect(check(open, 'callbackUrl').fix).toContain('does not verify signatures');
      expect(check(unreachable, 'callbackUrl')).toMatchObject({ status: 'fail' });
      expect(check(unreachable, 'callbackUrl').detail).toContain('could not be reached');
    } finally {
      refusing.close();
      echoing.close();
      await product.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("fails the deployed secret while it still holds the stack's placeholders", async () => {
    const id = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wechat-kf';
    const placeholder = await runDoctor({
      ...base(),
      deployedSecret: {
        id,
        value: JSON.stringify({ appId: 'REPLACE_ME', appSecret: 'Gen3ratedRand0m', callbackToken: 'REPLACE_ME', encodingAesKey: '' }),
      },
    });
    const filled = await runDoctor({
      ...base(),
      deployedSecret: {
        id,
        value: JSON.stringify({
          appId: 'wx0123456789abcdef',
          appSecret: 'real-secret-value',
          callbackToken: TOKEN,
          encodingAesKey: AES_KEY,
        }),
      },
    });
    expect(check(placeholder, 'deployedSecret')).toMatchObject({ status: 'fail' });
    expect(check(placeholder, 'deployedSecret').detail).toBe('still a placeholder or empty: appId, callbackToken');
    expect(check(placeholder, 'deployedSecret').fix).toContain(`put-secret-value --secret-id ${id}`);
    expect(JSON.stringify(placeholder)).not.toContain('Gen3ratedRand0m');
    expect(check(filled, 'deployedSecret')).toMatchObject({ status: 'pass' });
    expect(JSON.stringify(filled)).not.toContain('real-secret-value');
  });
});

describe('npm run doctor', () => {
  let sandbox: Sandbox;
  let aws: Server;
  let awsUrl: string;
  let secretValue: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true, appId: 'wx0123456789abcdef' });
    // Secrets Manager's GetSecretValue, as the SDK speaks it (awsJson1_1).
    aws = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += String(c)));
      req.on('end', () => {
        const target = req.headers['x-amz-target'];
        if (target !== 'secretsmanager.GetSecretValue') return res.writeHead(400).end('{}');
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ ARN: SecretId, Name: 'wechat', SecretString: secretValue, VersionId: 'v1' }));
      });
    });
    awsUrl = await listen(aws);
  });
  afterAll(async () => {
    aws.close();
    await sandbox.stop();
  });

  const doctor = (env: Record<string, string>, args: string[] = []) => runDoctorCli(args, env);

  it('refuses an unknown flag, naming it and the known ones, before checking anything', async () => {
    // Prepare
    sandbox.reset();
    // Act
    const typo = await doctor({ WECHAT_APP_ID: sandbox.appId, WECHAT_APP_SECRET: sandbox.appSecret, WECHAT_API_BASE_URL: sandbox.url }, [
      '--secretid',
      'x',
    ]);
    const bare = await doctor({ WECHAT_APP_ID: sandbox.appId, WECHAT_APP_SECRET: sandbox.appSecret, WECHAT_API_BASE_URL: sandbox.url }, [
      '--callback-url',
    ]);
    // Assess
    expect(typo.code).toBe(2);
    expect(typo.out.trim()).toBe(
      'doctor: unknown flag "--secretid"; the doctor knows --callback-url URL, --secret-id ID, --api-url URL, --region REGION, --json',
    );
    expect(bare.code).toBe(2);
    expect(bare.out.trim()).toBe(
      'doctor: --callback-url needs a value; the doctor knows --callback-url URL, --secret-id ID, --api-url URL, --region REGION, --json',
    );
    expect(sandbox.requests()).toHaveLength(0);
  });

  it('prints one line per check and exits 1 on the 48001 a personal account gets', async () => {
    // Prepare
    sandbox.reset();
    sandbox.injectFault({ path: '/cgi-bin/customservice/getkflist', kind: 'errcode', errcode: 48001 });
    // Act
    const { code, out } = await doctor({
      WECHAT_APP_ID: sandbox.appId,
      WECHAT_APP_SECRET: sandbox.appSecret,
      WECHAT_API_BASE_URL: sandbox.url,
      WECHAT_CALLBACK_TOKEN: TOKEN,
    });
    // Assess
    expect(code).toBe(1);
    expect(out).toContain('✔ pass  AppID and AppSecret fetch a token');
    expect(out).toMatch(/✘ FAIL {2}The account may use the kf API: WeChat answered errcode 48001/);
    expect(out).toContain('→ The kf API needs a verified');
    expect(out).not.toContain(sandbox.appSecret);
    expect(out).not.toContain(TOKEN);
  });

  it("checks the deployed stack's secret: its placeholders, then its credentials once filled in", async () => {
    const env = {
      WECHAT_API_BASE_URL: sandbox.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: awsUrl,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example-secret-key',
    };
    sandbox.reset();
    secretValue = JSON.stringify({
      appId: 'REPLACE_ME',
      appSecret: 'Gen3ratedRand0mValue',
      callbackToken: 'REPLACE_ME',
      encodingAesKey: '',
    });
    const placeholder = await doctor(env, ['--secret-id', 'wechat-kf-secret']);
    secretValue = JSON.stringify({ appId: sandbox.appId, appSecret: sandbox.appSecret, callbackToken: TOKEN, encodingAesKey: AES_KEY });
    const filled = await doctor(env, ['--secret-id', 'wechat-kf-secret', '--json']);
    expect(placeholder.code).toBe(1);
    expect(placeholder.out).toContain("✘ FAIL  Deployed stack's secret is filled in: still a placeholder or empty: appId, callbackToken");
    expect(placeholder.out).not.toContain('Gen3ratedRand0mValue');
    expect(filled.code).toBe(0);
    const report = JSON.parse(filled.out) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(check(report, 'credentials').status).toBe('pass');
    expect(check(report, 'deployedSecret').status).toBe('pass');
    for (const secret of [sandbox.appSecret, TOKEN, AES_KEY]) expect(filled.out).not.toContain(secret);
  });
});
