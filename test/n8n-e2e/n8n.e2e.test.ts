/**
 * End to end in a real n8n (2.8.4, installed by test/n8n-e2e/install.sh into <repo>/.n8n-e2e): the built
 * package is installed as a community package, credentials and workflows are imported with n8n's CLI,
 * `n8n execute --id` sends a message to the sandbox, and `n8n start` with a published trigger workflow
 * receives a signed, encrypted push from the sandbox and replies through the action node.
 *
 * Needs: `bash test/n8n-e2e/install.sh` and `npm run build --workspace n8n-nodes`. Without the n8n install
 * it fails when CI=true and is skipped (with the reason printed) otherwise.
 */
import { spawn, type ChildProcess } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
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

const OPENID_EXECUTE = 'o_e2e_execute';
const OPENID_TRIGGER = 'o_e2e_trigger';
const CALLBACK_TOKEN = 'e2eToken123';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const WEBHOOK_ID = 'wechat-e2e';

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, log?: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && (value as unknown) !== false) return value;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${log ? `\n--- n8n output ---\n${log().slice(-6000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const nodeType = (name: string) => `n8n-nodes-wechat-kf.${name}`;

function sendWorkflow() {
  return {
    id: 'wfSendE2E0000001',
    name: 'E2E send',
    active: false,
    settings: { executionOrder: 'v1' },
    connections: { Start: { main: [[{ node: 'WeChat', type: 'main', index: 0 }]] } },
    nodes: [
      { id: 'a1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: 'a2',
        name: 'WeChat',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [220, 0],
        parameters: { resource: 'message', operation: 'send', touser: OPENID_EXECUTE, msgtype: 'text', content: 'hello from n8n execute' },
        credentials: { weChatOfficialAccountApi: { id: 'credWeChatE2E001', name: 'WeChat sandbox' } },
      },
    ],
  };
}

function triggerWorkflow() {
  return {
    id: 'wfTrigE2E0000001',
    name: 'E2E trigger',
    active: false,
    settings: { executionOrder: 'v1' },
    connections: { 'WeChat Trigger': { main: [[{ node: 'Reply', type: 'main', index: 0 }]] } },
    nodes: [
      {
        id: 'b1',
        name: 'WeChat Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: WEBHOOK_ID,
        parameters: { messageTypes: ['text'] },
        credentials: { weChatCallbackApi: { id: 'credCallbackE2E1', name: 'WeChat callback' } },
      },
      {
        id: 'b2',
        name: 'Reply',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [220, 0],
        parameters: {
          resource: 'message',
          operation: 'send',
          touser: '={{ $json.openid }}',
          msgtype: 'text',
          content: '=echo: {{ $json.content }} ({{ $json.messageType }})',
        },
        credentials: { weChatOfficialAccountApi: { id: 'credWeChatE2E001', name: 'WeChat sandbox' } },
      },
    ],
  };
}

const describeE2E = existsSync(N8N_BIN) ? describe : IS_CI ? describe : describe.skip;
if (!existsSync(N8N_BIN) && !IS_CI) {
  // eslint-disable-next-line no-console
  console.log(`skipping the n8n end-to-end tests: ${MISSING}`);
}

describeE2E('n8n 2.8.4 end to end', () => {
  let sandbox: Sandbox | undefined;
  let server: ChildProcess | undefined;
  let serverLog = '';
  let work = '';
  let env: NodeJS.ProcessEnv = {};
  let port = 0;

  const n8n = (...args: string[]) => run(process.execPath, [N8N_BIN, ...args], { env, cwd: work });

  beforeAll(async () => {
    if (!existsSync(N8N_BIN)) throw new Error(MISSING);
    if (!existsSync(DIST_NODE)) throw new Error(`${DIST_NODE} is missing: run \`npm run build --workspace n8n-nodes\` first`);
    work = mkdtempSync(join(tmpdir(), 'n8n-e2e-'));
    port = await freePort();
    sandbox = await startSandbox({ quiet: true });
    env = {
      PATH: process.env.PATH,
      HOME: work,
      N8N_USER_FOLDER: work,
      N8N_ENCRYPTION_KEY: 'e2e-encryption-key-0123456789',
      N8N_PORT: String(port),
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      N8N_HOST: '127.0.0.1',
      WEBHOOK_URL: `http://127.0.0.1:${port}/`,
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      N8N_PERSONALIZATION_ENABLED: 'false',
      N8N_SECURE_COOKIE: 'false',
      N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
      N8N_RUNNERS_ENABLED: 'false',
      N8N_RUNNERS_BROKER_PORT: String(port + 1), // its own broker port: see support.ts n8nEnv
      N8N_LOG_LEVEL: 'info',
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

    writeFileSync(
      join(work, 'credentials.json'),
      JSON.stringify([
        {
          id: 'credWeChatE2E001',
          name: 'WeChat sandbox',
          type: 'weChatOfficialAccountApi',
          data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
        },
        { id: 'credCallbackE2E1', name: 'WeChat callback', type: 'weChatCallbackApi', data: { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, appId: sandbox.appId } },
      ]),
    );
    writeFileSync(join(work, 'send.json'), JSON.stringify(sendWorkflow()));
    writeFileSync(join(work, 'trigger.json'), JSON.stringify(triggerWorkflow()));
    for (const args of [
      ['import:credentials', `--input=${join(work, 'credentials.json')}`],
      ['import:workflow', `--input=${join(work, 'send.json')}`],
      ['import:workflow', `--input=${join(work, 'trigger.json')}`],
    ]) {
      const result = await n8n(...args);
      if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} failed (${result.code}):\n${result.out.slice(-4000)}`);
    }
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          server?.kill('SIGKILL');
          r(undefined);
        }, 15_000);
        server?.on('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
    await sandbox?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('`n8n execute --id` runs the action node, which sends a message to the sandbox', async () => {
    await sandbox!.simulateUser(OPENID_EXECUTE, { type: 'text', content: 'hi' });
    const result = await n8n('execute', '--id=wfSendE2E0000001');
    const sent = sandbox!.messages(OPENID_EXECUTE);
    if (sent.length === 0) throw new Error(`the sandbox received no message; n8n execute said (${result.code}):\n${result.out.slice(-6000)}`);
    expect(sent[0]!.body).toEqual({ touser: OPENID_EXECUTE, msgtype: 'text', text: { content: 'hello from n8n execute' } });
    expect(result.code).toBe(0);
  });

  it('`n8n start` with the published trigger workflow answers a signed, encrypted push and replies', async () => {
    const published = await n8n('publish:workflow', '--id=wfTrigE2E0000001');
    if (published.code !== 0) throw new Error(`n8n publish:workflow failed:\n${published.out.slice(-4000)}`);
    server = spawn(process.execPath, [N8N_BIN, 'start'], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (serverLog += String(d)));
    server.stderr!.on('data', (d) => (serverLog += String(d)));
    const url = `http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/wechat`;
    sandbox!.configureCallback({ url, token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, mode: 'safe', format: 'xml' });
    await waitFor('n8n to answer /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok || undefined, 120_000, () => serverLog);

    // WeChat's URL check (GET, echostr) passes once the workflow's webhook is registered.
    await waitFor('the URL check to pass', async () => ((await sandbox!.verifyCallback()) as { ok?: boolean }).ok || undefined, 60_000, () => serverLog);

    // A bad signature is refused with 401.
    const bad = await fetch(`${url}?signature=0000&timestamp=${Math.floor(Date.now() / 1000)}&nonce=1`, { method: 'POST', body: '<xml></xml>', headers: { 'content-type': 'text/xml' } });
    expect(bad.status).toBe(401);

    const push = await sandbox!.simulateUser(OPENID_TRIGGER, { type: 'text', content: 'ping' });
    expect(JSON.stringify(push)).toMatch(/success/);
    const reply = await waitFor('the reply of the workflow', () => sandbox!.messages(OPENID_TRIGGER)[0], 60_000, () => serverLog);
    expect(reply.body).toEqual({ touser: OPENID_TRIGGER, msgtype: 'text', text: { content: 'echo: ping (text)' } });
  });
});
