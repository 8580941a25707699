/**
 * Every other WeChat API from a real n8n (2.8.4) with the one managed token: n8n's own HTTP Request node
 * using the *WeChat Official Account API* credential as a predefined credential type (the token is added,
 * and renewed once stale). The built package is installed as a community package, credentials and
 * workflows are imported with n8n's CLI and run with `n8n execute --id`, against the sandbox.
 *
 * Needs: `bash test/n8n-e2e/install.sh` and `npm run build --workspace n8n-nodes`. Without the n8n install
 * it fails when CI=true and is skipped (with the reason printed) otherwise.
 */
import { spawn } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startSandbox, type Sandbox } from '../../functions/sandbox';

const ROOT = join(__dirname, '..', '..');
const N8N_DIR = process.env.N8N_E2E_DIR ?? join(ROOT, '.n8n-e2e');
const N8N_BIN = join(N8N_DIR, 'node_modules', 'n8n', 'bin', 'n8n');
const PACKAGE_DIR = join(ROOT, 'n8n-nodes');
const DIST_NODE = join(PACKAGE_DIR, 'dist', 'nodes', 'WeChatKf', 'WeChatKf.node.js');
const IS_CI = process.env.CI === 'true';
const MISSING = `n8n is not installed in ${N8N_DIR}: run \`bash test/n8n-e2e/install.sh\` first`;

const OPENID = 'o_e2e_passthrough';
const DIRECT = { weChatOfficialAccountApi: { id: 'credPassDirect01', name: 'WeChat sandbox (direct)' } };
/** Tokens live this long in the sandbox, so that the credential's renewal happens within the test. */
const TOKEN_TTL_SECONDS = 8;

jest.setTimeout(300_000);

/** Runs a command without blocking the event loop (the sandbox lives in this process). */
function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** A workflow of a manual trigger and one node. */
function workflow(id: string, node: Record<string, unknown>) {
  return {
    id,
    name: id,
    active: false,
    settings: { executionOrder: 'v1' },
    connections: { Start: { main: [[{ node: node.name, type: 'main', index: 0 }]] } },
    nodes: [{ id: 's', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} }, { id: 'n', position: [220, 0], ...node }],
  };
}

/** n8n's HTTP Request node with the WeChat credential as its predefined credential type. */
function httpRequest(parameters: Record<string, unknown>) {
  return {
    name: 'HTTP Request',
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    parameters: { authentication: 'predefinedCredentialType', nodeCredentialType: 'weChatOfficialAccountApi', options: {}, ...parameters },
    credentials: DIRECT,
  };
}

const describeE2E = existsSync(N8N_BIN) ? describe : IS_CI ? describe : describe.skip;
if (!existsSync(N8N_BIN) && !IS_CI) {
  // eslint-disable-next-line no-console
  console.log(`skipping the n8n passthrough end-to-end tests: ${MISSING}`);
}

describeE2E('n8n 2.8.4: other WeChat APIs with the managed token', () => {
  let sandbox: Sandbox;
  let work = '';
  let env: NodeJS.ProcessEnv = {};

  const n8n = (...args: string[]) => run(process.execPath, [N8N_BIN, ...args], { env, cwd: work });
  const execute = async (id: string) => {
    const result = await n8n('execute', `--id=${id}`);
    if (result.code !== 0) throw new Error(`n8n execute --id=${id} failed (${result.code}):\n${result.out.slice(-6000)}`);
    return result;
  };

  beforeAll(async () => {
    if (!existsSync(N8N_BIN)) throw new Error(MISSING);
    if (!existsSync(DIST_NODE)) throw new Error(`${DIST_NODE} is missing: run \`npm run build --workspace n8n-nodes\` first`);
    work = mkdtempSync(join(tmpdir(), 'n8n-e2e-pass-'));
    sandbox = await startSandbox({ quiet: true, tokenTtlSeconds: TOKEN_TTL_SECONDS });
    env = {
      PATH: process.env.PATH,
      HOME: work,
      N8N_USER_FOLDER: work,
      N8N_ENCRYPTION_KEY: 'e2e-encryption-key-0123456789',
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      N8N_PERSONALIZATION_ENABLED: 'false',
      N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
      N8N_RUNNERS_ENABLED: 'false',
      N8N_LOG_LEVEL: 'warn',
      DB_SQLITE_POOL_SIZE: '1',
      NODE_ENV: 'production',
    };

    // The built package, packed as npm would publish it, unpacked where n8n keeps community packages.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: PACKAGE_DIR });
    if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    const modules = join(work, '.n8n', 'nodes', 'node_modules');
    mkdirSync(modules, { recursive: true });
    const untar = await run('tar', ['-xzf', join(work, tgz), '-C', modules]);
    if (untar.code !== 0) throw new Error(`tar failed:\n${untar.out}`);
    renameSync(join(modules, 'package'), join(modules, 'n8n-nodes-wechat-kf'));
    writeFileSync(join(work, '.n8n', 'nodes', 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { 'n8n-nodes-wechat-kf': '0.1.0' } }));

    const cred = DIRECT.weChatOfficialAccountApi;
    writeFileSync(
      join(work, 'credentials.json'),
      JSON.stringify([
        { id: cred.id, name: cred.name, type: 'weChatOfficialAccountApi', data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' } },
      ]),
    );
    const workflows = [
      workflow('wfHttpGetInfo001', httpRequest({ method: 'GET', url: `${sandbox.url}/cgi-bin/user/info`, sendQuery: true, queryParameters: { parameters: [{ name: 'openid', value: OPENID }] } })),
      workflow('wfHttpPostTag001', httpRequest({ method: 'POST', url: `${sandbox.url}/cgi-bin/tags/create`, sendBody: true, specifyBody: 'json', jsonBody: '{"tag":{"name":"from n8n"}}' })),
    ];
    writeFileSync(join(work, 'workflows.json'), JSON.stringify(workflows));
    for (const args of [
      ['import:credentials', `--input=${join(work, 'credentials.json')}`],
      ['import:workflow', `--input=${join(work, 'workflows.json')}`],
    ]) {
      const result = await n8n(...args);
      if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} failed (${result.code}):\n${result.out.slice(-4000)}`);
    }
    await sandbox.simulateUser(OPENID, { type: 'text', content: 'hi' });
  });

  afterAll(async () => {
    await sandbox?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the HTTP Request node uses the credential as a predefined credential type: the token is added, and renewed once stale', async () => {
    // act: a GET, then (once the first token has expired) a POST, to endpoints the product has no operation for
    await execute('wfHttpGetInfo001');
    const firstFetch = sandbox.requests('/cgi-bin/stable_token')[0]?.at ?? Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, firstFetch + TOKEN_TTL_SECONDS * 1000 + 500 - Date.now())));
    await execute('wfHttpPostTag001');
    // assess
    const [info] = sandbox.requests('/cgi-bin/user/info');
    const [created] = sandbox.requests('/cgi-bin/tags/create');
    expect(info!.answer?.body).toMatchObject({ subscribe: 1, openid: OPENID });
    expect(created!.answer?.body).toEqual({ tag: { id: 100, name: 'from n8n' } });
    expect(info!.query.openid).toBe(OPENID);
    const fetches = sandbox.requests('/cgi-bin/stable_token');
    const issued = fetches.map((r) => (r.answer?.body as { access_token?: string }).access_token);
    // Two tokens, each from one normal-mode fetch: the first was expired by the time of the POST, and the
    // credential renewed it before sending rather than let WeChat answer 42001.
    expect(fetches.map((r) => (r.body as { force_refresh?: boolean }).force_refresh)).toEqual([false, false]);
    expect(info!.query.access_token).toBe(issued[0]);
    expect(created!.query.access_token).toBe(issued[1]);
    expect(issued[1]).not.toBe(issued[0]);
  });
});
