/**
 * The doctor for every account (docs/doctor.md, "Every account"), against `startLocal` talking to a sandbox
 * that hosts two official accounts (the default and B), as WeChat would: account B is registered in the
 * product with a wrong AppSecret (POST /accounts), and the doctor, listing the
 * accounts from the local server's GET /accounts and checking each through its own routes, reports the
 * default account passing and B failing with WeChat's 40125 and what to do, each in its own report, as
 * `runAccountsDoctor`, as `npm run doctor -- --api-url` (a process; exit 1) and as GET /doctor/accounts. No
 * secret is in any of them.
 */
import { runAccountsDoctor, type AccountsReport } from '../../functions/dev/doctor/accounts';
import type { LocalProduct } from '../../functions/dev/local/server';
import type { Sandbox } from '../../functions/dev/sandbox';
import { GATEWAY_KEYS, GATEWAY_REGION, startIamAuthorizer } from '../n8n/iam-authorizer';
import { runDoctorCli } from '../support/doctor-cli';
import { callProduct, startProductOnWeChat, type ProductOnWeChat } from '../support/local-product';

jest.setTimeout(90_000);

const B = 'wxb1b1b1b1b1b1b1b1';
const B_SECRET = 'theRightSecretOfB';
const WRONG = 'aWrongSecretForB';
const B_TOKEN = 'tokenOfB123';
const TOKEN = 'tokenOfDefault1';

const statuses = (report: AccountsReport, appId: string) =>
  Object.fromEntries(report.accounts.find((a) => a.appId === appId)!.checks.map((c) => [c.id, c.status]));

describe('doctor: every account of a gateway', () => {
  let onWeChat: ProductOnWeChat;
  let sandbox: Sandbox;
  let product: LocalProduct;

  beforeAll(async () => {
    // WeChat, with both accounts: B's AppSecret there is B_SECRET.
    onWeChat = await startProductOnWeChat('wechat-kf-doctor-accounts-', {
      accounts: [{ appId: B, appSecret: B_SECRET }],
      callbackToken: TOKEN,
    });
    ({ sandbox, product } = onWeChat);
    // B as registered by someone who copied its AppSecret wrong.
    const wrong = await callProduct(product, 'POST', '/accounts', { appId: B, appSecret: WRONG, callbackToken: B_TOKEN, name: 'Shop B' });
    expect(wrong.status).toBe(201);
  });
  afterAll(async () => onWeChat?.stop());

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
    const cli = await runDoctorCli(['--api-url', product.url]);
    const json = await runDoctorCli(['--api-url', product.url, '--json']);
    const served = await callProduct(product, 'GET', '/doctor/accounts');

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
      const signed = await runDoctorCli(['--api-url', iam.url, '--region', GATEWAY_REGION, '--json'], {
        AWS_ACCESS_KEY_ID: GATEWAY_KEYS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: GATEWAY_KEYS.secretAccessKey,
      });
      const refused = await runDoctorCli(['--api-url', iam.url, '--region', GATEWAY_REGION], {
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
