/**
 * The doctor for every account (docs/doctor.md, "Every account"), against `startLocal` talking to a sandbox
 * that hosts two official accounts (the default and B), as WeChat would: account B is registered in the
 * product with a wrong AppSecret (POST /accounts), and the doctor, listing the
 * accounts from the local server's GET /accounts and checking each through its own routes, reports the
 * default account passing and B failing with WeChat's 40125 and what to do, each in its own report, as
 * `runAccountsDoctor`, as `npm run doctor -- --api-url` (a process; exit 1) and as GET /doctor/accounts. No
 * secret is in any of them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAccountsDoctor, type AccountsReport } from '../../functions/dev/doctor/accounts';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { GATEWAY_KEYS, GATEWAY_REGION, startIamAuthorizer } from '../n8n/iam-authorizer';

jest.setTimeout(90_000);

const ROOT = join(__dirname, '..', '..');
const B = 'wxb1b1b1b1b1b1b1b1';
const B_SECRET = 'theRightSecretOfB';
const WRONG = 'aWrongSecretForB';
const B_TOKEN = 'tokenOfB123';
const TOKEN = 'tokenOfDefault1';

async function send(product: LocalProduct, method: string, path: string, body?: unknown) {
  const res = await fetch(`${product.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

function doctor(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'functions', 'dev', 'doctor', 'main.ts'), ...args],
      {
        env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const statuses = (report: AccountsReport, appId: string) =>
  Object.fromEntries(report.accounts.find((a) => a.appId === appId)!.checks.map((c) => [c.id, c.status]));

describe('doctor: every account of a gateway', () => {
  let dataDir: string;
  let sandbox: Sandbox;
  let product: LocalProduct;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-doctor-accounts-'));
    // WeChat, with both accounts: B's AppSecret there is B_SECRET.
    sandbox = await startSandbox({ quiet: true, accounts: [{ appId: B, appSecret: B_SECRET }] });
    product = await startLocal({
      port: 0,
      dataDir,
      env: {
        WECHAT_APP_ID: sandbox.appId,
        WECHAT_APP_SECRET: sandbox.appSecret,
        WECHAT_API_BASE_URL: sandbox.url,
        WECHAT_CALLBACK_TOKEN: TOKEN,
      },
    });
    // B as registered by someone who copied its AppSecret wrong.
    const wrong = await send(product, 'POST', '/accounts', { appId: B, appSecret: WRONG, callbackToken: B_TOKEN, name: 'Shop B' });
    expect(wrong.status).toBe(201);
  });
  afterAll(async () => {
    await product?.stop();
    await sandbox?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports the good account passing and the one with a wrong AppSecret failing, each in its own report', async () => {
    // Act
    const report = await runAccountsDoctor({ apiUrl: product.url });

    // Assess: both listed, the default first
    expect(report.ok).toBe(false);
    expect(report.checks).toMatchObject([{ id: 'accounts', status: 'pass' }]);
    expect(report.accounts.map((a) => [a.appId, a.default, a.ok])).toEqual([
      [sandbox.appId, true, true],
      [B, false, false],
    ]);
    // the default: WeChat gave a token through GET /kf-accounts, and its callback verifies
    expect(statuses(report, sandbox.appId)).toMatchObject({
      credentials: 'pass',
      ipWhitelist: 'pass',
      kfApi: 'pass',
      callbackUrl: 'pass',
    });
    // B: WeChat's 40125 for its AppSecret, what to do, and the rest of its checks still run
    const b = report.accounts[1]!;
    expect(b.name).toBe('Shop B');
    expect(b.checks.find((c) => c.id === 'credentials')).toMatchObject({
      status: 'fail',
      errcode: 40125,
      detail: expect.stringContaining("the account's AppSecret is wrong"),
      fix: expect.stringContaining(`DELETE /accounts/${B}, then POST /accounts with the new appSecret`),
    });
    expect(statuses(report, B)).toMatchObject({ ipWhitelist: 'skip', kfApi: 'skip', callbackConfig: 'warn', callbackUrl: 'pass' });
    // The token fetch B's failure came from is the sandbox's answer to B's AppID with the wrong secret.
    const tries = sandbox.requests('/cgi-bin/stable_token').filter((r) => (r.body as { appid?: string })?.appid === B);
    expect(tries.length).toBeGreaterThan(0);
    for (const secret of [WRONG, B_SECRET, B_TOKEN, TOKEN, sandbox.appSecret]) expect(JSON.stringify(report)).not.toContain(secret);
  });

  it('npm run doctor -- --api-url prints both accounts and exits 1; GET /doctor/accounts answers the same', async () => {
    // Act
    const cli = await doctor(['--api-url', product.url]);
    const json = await doctor(['--api-url', product.url, '--json']);
    const served = await send(product, 'GET', '/doctor/accounts');

    // Assess
    expect(cli.code).toBe(1);
    expect(cli.out).toContain(`── ${sandbox.appId} · default: ok`);
    expect(cli.out).toContain(`── ${B} (Shop B): FAILING`);
    expect(cli.out).toMatch(/✘ FAIL {2}AppID and AppSecret fetch a token: WeChat answered errcode 40125/);
    expect(cli.out).toContain(`1 of 2 account(s) failing: ${B}`);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.out) as AccountsReport;
    expect(parsed.accounts.map((a) => [a.appId, a.ok])).toEqual([
      [sandbox.appId, true],
      [B, false],
    ]);
    expect(served.status).toBe(200);
    expect((served.json as AccountsReport).accounts.map((a) => [a.appId, a.ok])).toEqual([
      [sandbox.appId, true],
      [B, false],
    ]);
    for (const out of [cli.out, json.out, JSON.stringify(served.json)])
      for (const secret of [WRONG, B_SECRET, B_TOKEN, TOKEN, sandbox.appSecret]) expect(out).not.toContain(secret);
  });

  it('signs every request with SigV4 for a deployed API (--region), as its IAM check verifies; a refused signature is a clear failure', async () => {
    // Prepare: API Gateway's IAM check in front of the local server
    const iam = await startIamAuthorizer(product.url);
    try {
      // Act
      const signed = await doctor(['--api-url', iam.url, '--region', GATEWAY_REGION, '--json'], {
        AWS_ACCESS_KEY_ID: GATEWAY_KEYS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: GATEWAY_KEYS.secretAccessKey,
      });
      const refused = await doctor(['--api-url', iam.url, '--region', GATEWAY_REGION], {
        AWS_ACCESS_KEY_ID: GATEWAY_KEYS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: 'not-the-key-iam-knows',
      });
      // Assess: GET /accounts, each account's kf-accounts and callback check, all verified
      const report = JSON.parse(signed.out) as AccountsReport;
      expect(report.accounts.map((a) => [a.appId, a.ok])).toEqual([
        [sandbox.appId, true],
        [B, false],
      ]);
      // signed: GET /accounts, and per account GET …/kf-accounts and the callback check; the wrong key: refused at once
      expect(iam.verified).toBe(5);
      expect(iam.refused).toEqual(['GET /accounts']);
      expect(refused.code).toBe(1);
      expect(refused.out).toContain('✘ FAIL  The gateway lists the accounts (GET /accounts): GET /accounts answered 403');
      expect(refused.out).toContain('execute-api:Invoke');
      expect(refused.out).not.toContain('not-the-key-iam-knows');
    } finally {
      await iam.stop();
    }
  });

  it('says what is wrong when the gateway cannot list accounts, and checks nothing else', async () => {
    // Act: a URL where nothing listens
    const report = await runAccountsDoctor({ apiUrl: 'http://127.0.0.1:9', timeoutMs: 2000 });
    // Assess
    expect(report).toMatchObject({ ok: false, accounts: [], checks: [{ id: 'accounts', status: 'fail' }] });
    expect(report.checks[0]!.detail).toContain('could not be reached');
  });
});
