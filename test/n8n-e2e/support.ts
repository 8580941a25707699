/**
 * Shared by the real-n8n tests: running n8n's CLI without blocking the event loop, free ports, waiting,
 * installing the built package as a community package in a fresh n8n user folder, and logging in as the
 * owner to use n8n's own REST API (activate / deactivate as the editor does).
 */
import { spawn, type ChildProcess } from 'child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { join } from 'path';

export const ROOT = join(__dirname, '..', '..');
export const N8N_DIR = process.env.N8N_E2E_DIR ?? join(ROOT, '.n8n-e2e');
export const N8N_BIN = join(N8N_DIR, 'node_modules', 'n8n', 'bin', 'n8n');
export const PACKAGE_DIR = join(ROOT, 'n8n-nodes');
export const DIST_NODE = join(PACKAGE_DIR, 'dist', 'nodes', 'WeChatKf', 'WeChatKf.node.js');
export const IS_CI = process.env.CI === 'true';
export const MISSING = `n8n is not installed in ${N8N_DIR}: run \`bash test/n8n-e2e/install.sh\` first`;
export const nodeType = (name: string) => `n8n-nodes-wechat-kf.${name}`;

/** `describe` when n8n is installed (or in CI, where its absence must fail), else `describe.skip`. */
export function describeWithN8n(): jest.Describe {
  if (!existsSync(N8N_BIN) && !IS_CI) {
    // eslint-disable-next-line no-console
    console.log(`skipping the n8n end-to-end tests: ${MISSING}`);
    return describe.skip;
  }
  return describe;
}

/** Runs a command without blocking the event loop (the product and sandbox live in this process). */
export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}) {
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

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, log?: () => string): Promise<T> {
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

/**
 * Waits until n8n has registered the trigger's POST webhook, not only its GET one: n8n registers a
 * workflow's webhooks one after the other while it activates it, so WeChat's URL check (GET) can pass
 * while a push (POST) still gets 404 "webhook is not registered", and the sandbox, like WeChat, gives a
 * push up after its retries. An unsigned POST is refused by the trigger itself (4xx, no execution).
 */
export async function waitForPushWebhook(url: string, log?: () => string): Promise<void> {
  await waitFor('the push (POST) webhook to be registered', async () => ((await fetch(url, { method: 'POST', body: '' })).status !== 404 ? true : undefined), 60_000, log);
}

/**
 * The environment of an n8n on 127.0.0.1:port with its user folder in `work`, its task-runner broker on
 * `brokerPort` (take both from freePort()).
 */
export function n8nEnv(work: string, port: number, brokerPort: number): NodeJS.ProcessEnv {
  return {
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
    // n8n 2.x opens its task-runner broker even with runners off, on 5679 by default: two n8n test
    // files running side by side (jest has two workers) would fight for it. A port of its own from
    // freePort(): the one after n8n's was taken in a CI run (the product's local server had it).
    N8N_RUNNERS_BROKER_PORT: String(brokerPort),
    N8N_LOG_LEVEL: 'info',
    DB_SQLITE_POOL_SIZE: '1',
    NODE_ENV: 'production',
  };
}

/** The built package, packed as npm would publish it, unpacked where n8n keeps community packages. */
export async function installPackage(work: string): Promise<void> {
  if (!existsSync(DIST_NODE)) throw new Error(`${DIST_NODE} is missing: run \`npm run build --workspace n8n-nodes\` first`);
  const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: PACKAGE_DIR });
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  const modules = join(work, '.n8n', 'nodes', 'node_modules');
  mkdirSync(modules, { recursive: true });
  const untar = await run('tar', ['-xzf', join(work, tgz), '-C', modules]);
  if (untar.code !== 0) throw new Error(`tar failed:\n${untar.out}`);
  renameSync(join(modules, 'package'), join(modules, 'n8n-nodes-wechat-kf'));
  writeFileSync(join(work, '.n8n', 'nodes', 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { 'n8n-nodes-wechat-kf': '0.1.0' } }));
}

/** Starts `n8n start`; its output is collected in `log()`. */
export function startN8n(env: NodeJS.ProcessEnv, work: string): { child: ChildProcess; log: () => string; stop: () => Promise<void> } {
  let out = '';
  const child = spawn(process.execPath, [N8N_BIN, 'start'], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  return {
    child,
    log: () => out,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r(undefined);
        }, 15_000);
        child.on('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    },
  };
}

/**
 * Sets up n8n's owner (a fresh instance has none) and returns a function that calls n8n's REST API with
 * the owner's session, as the editor does.
 */
export async function ownerSession(baseUrl: string) {
  const browserId = 'e2e-browser';
  const setup = await fetch(`${baseUrl}/rest/owner/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'browser-id': browserId },
    body: JSON.stringify({ email: 'owner@example.com', firstName: 'E2E', lastName: 'Owner', password: 'E2eOwnerPassw0rd' }),
  });
  if (!setup.ok) throw new Error(`n8n owner setup answered ${setup.status}: ${await setup.text()}`);
  const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0]!;
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}/rest${path}`, {
      method,
      headers: { cookie, 'browser-id': browserId, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
}
