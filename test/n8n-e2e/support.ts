/**
 * Shared by the real-n8n tests: running n8n's CLI without blocking the event loop, free ports, waiting,
 * installing the built package as a community package in a fresh n8n user folder, importing credentials
 * and workflows as a user's export would be, starting n8n and pointing the sandbox's callback at a trigger,
 * and logging in as the owner to use n8n's own REST API (activate / deactivate as the editor does).
 */
import { spawn, type ChildProcess } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import type { CallbackConfig, Sandbox } from '../../functions/dev/sandbox';

export const ROOT = join(__dirname, '..', '..');
export const N8N_DIR = process.env.N8N_E2E_DIR ?? join(ROOT, '.n8n-e2e');
export const N8N_BIN = join(N8N_DIR, 'node_modules', 'n8n', 'bin', 'n8n');
/** The version of the n8n under test (npm test runs the suite on 2.8.4 and on 2.40.7), for the tests' titles. */
export const N8N_VERSION: string = (() => {
  try {
    return String((JSON.parse(readFileSync(join(N8N_DIR, 'node_modules', 'n8n', 'package.json'), 'utf8')) as { version: string }).version);
  } catch {
    return '(not installed)';
  }
})();
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

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  log?: () => string,
): Promise<T> {
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
  await waitFor(
    'the push (POST) webhook to be registered',
    async () => ((await fetch(url, { method: 'POST', body: '' })).status !== 404 ? true : undefined),
    60_000,
    log,
  );
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
  writeFileSync(
    join(work, '.n8n', 'nodes', 'package.json'),
    JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { 'n8n-nodes-wechat-kf': '0.1.0' } }),
  );
}

/** A running `n8n start`: its process, its output so far, and how to stop it. */
export interface N8nServer {
  child: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/** Starts `n8n start`; its output is collected in `log()`. */
export function startN8n(env: NodeJS.ProcessEnv, work: string): N8nServer {
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

/** An n8n of a test file: its user folder (`work`), port and environment, with the built package installed. */
export interface N8nUnderTest {
  work: string;
  port: number;
  env: NodeJS.ProcessEnv;
  /** n8n's CLI on this user folder (`import:*`, `publish:workflow`, `execute`). */
  cli(...args: string[]): Promise<{ code: number | null; out: string }>;
  /** The production URL of a trigger's webhook (`/webhook/<webhookId>/wechat`). */
  triggerUrl(webhookId: string): string;
  /** `n8n start`, once it answers /healthz (stopped again if it never does, so no n8n outlives its test). */
  start(): Promise<N8nServer>;
  /** Stops the n8n that start() started, if any, and removes the user folder (for afterAll). */
  stop(): Promise<void>;
}

/**
 * A fresh n8n user folder (under the temp folder, named from `prefix`) on ports of its own, with the built
 * package installed as a community package. Fails at once when n8n is not installed.
 */
export async function prepareN8n(prefix: string): Promise<N8nUnderTest> {
  if (!existsSync(N8N_BIN)) throw new Error(MISSING);
  const work = mkdtempSync(join(tmpdir(), prefix));
  const port = await freePort();
  const env = n8nEnv(work, port, await freePort());
  try {
    await installPackage(work);
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  let server: N8nServer | undefined;
  return {
    work,
    port,
    env,
    cli: (...args: string[]) => run(process.execPath, [N8N_BIN, ...args], { env, cwd: work }),
    triggerUrl: (webhookId: string) => `http://127.0.0.1:${port}/webhook/${webhookId}/wechat`,
    async start() {
      const started = startN8n(env, work);
      server = started;
      try {
        await waitFor(
          'n8n to answer /healthz',
          async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok || undefined,
          120_000,
          started.log,
        );
      } catch (error) {
        await started.stop();
        throw error;
      }
      return started;
    },
    async stop() {
      await server?.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * Everything of a workflow as n8n exports it but its nodes: inactive (a test publishes it with the CLI),
 * and `links` either a chain of node names, each connected to the next, or n8n's own `connections` (for
 * branches). Spread it into the workflow beside `nodes`.
 */
export function workflowBase(id: string, name: string, links: string[] | Record<string, unknown>) {
  const connections = Array.isArray(links)
    ? Object.fromEntries(links.slice(0, -1).map((from, i) => [from, { main: [[{ node: links[i + 1], type: 'main', index: 0 }]] }]))
    : links;
  return { id, name, active: false, settings: { executionOrder: 'v1' }, connections };
}

/** A WeChat Official Account API credential (Direct mode's token) on the sandbox. */
export function sandboxCredential(ref: { id: string; name: string }, sandbox: Pick<Sandbox, 'appId' | 'appSecret' | 'url'>) {
  return {
    ...ref,
    type: 'weChatOfficialAccountApi',
    data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
  };
}

/** A WeChat callback credential (the trigger's Token and EncodingAESKey; '' for plain mode). */
export function callbackCredential(ref: { id: string; name: string }, data: { token: string; encodingAesKey: string; appId: string }) {
  return { ...ref, type: 'weChatCallbackApi', data };
}

/** A gateway credential on the product at `url`, with AWS's documented example access keys. */
export function gatewayCredential(ref: { id: string; name: string }, url: string) {
  return {
    ...ref,
    type: 'weChatKfGatewayApi',
    data: {
      url,
      region: 'eu-west-1',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      sessionToken: '',
    },
  };
}

/**
 * Imports credentials and workflows with n8n's CLI, as a user imports an export (`workflows`: a file name
 * to its workflow, or a list of them), then publishes the workflows named in `publish`. Throws with n8n's
 * output when a step fails.
 */
export async function importIntoN8n(
  n8n: N8nUnderTest,
  what: { credentials: unknown[]; workflows: Record<string, unknown>; publish?: string[] },
): Promise<void> {
  writeFileSync(join(n8n.work, 'credentials.json'), JSON.stringify(what.credentials));
  const steps = [['import:credentials', `--input=${join(n8n.work, 'credentials.json')}`]];
  for (const [file, workflow] of Object.entries(what.workflows)) {
    writeFileSync(join(n8n.work, file), JSON.stringify(workflow));
    steps.push(['import:workflow', `--input=${join(n8n.work, file)}`]);
  }
  for (const id of what.publish ?? []) steps.push(['publish:workflow', `--id=${id}`]);
  for (const args of steps) {
    const result = await n8n.cli(...args);
    if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} failed (${result.code}):\n${result.out.slice(-4000)}`);
  }
}

/** Publishes one imported workflow (as the editor's Publish does), throwing with n8n's output if it fails. */
export async function publishWorkflow(n8n: N8nUnderTest, id: string): Promise<void> {
  const published = await n8n.cli('publish:workflow', `--id=${id}`);
  if (published.code !== 0) throw new Error(`n8n publish:workflow failed:\n${published.out.slice(-4000)}`);
}

/**
 * Points the sandbox's callback (as a developer does in WeChat's console) at a published trigger, and waits
 * until WeChat's URL check passes and the push webhook is registered too (waitForPushWebhook).
 */
export async function connectCallback(
  sandbox: Sandbox,
  url: string,
  callback: Omit<CallbackConfig, 'url'>,
  log: () => string,
): Promise<void> {
  sandbox.configureCallback({ url, ...callback });
  await waitFor('the URL check to pass', async () => ((await sandbox.verifyCallback()) as { ok?: boolean }).ok || undefined, 60_000, log);
  await waitForPushWebhook(url, log);
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

type RestCall = Awaited<ReturnType<typeof ownerSession>>;

/** A workflow's executions as n8n's REST API lists them, newest first. */
export async function executionsOf(rest: RestCall, workflowId: string): Promise<{ id: string; status: string }[]> {
  const answer = await rest('GET', `/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId }))}`);
  if (answer.status !== 200) throw new Error(`GET /rest/executions answered ${answer.status}: ${answer.text}`);
  return (JSON.parse(answer.text) as { data: { results: { id: string; status: string }[] } }).data.results;
}

/**
 * Waits until a workflow has at least `count` executions and none of them is still going: n8n lists an
 * execution from its start ("new", "running"), and saves what it wrote to static data only at its end.
 */
export function waitForFinishedExecutions(rest: RestCall, workflowId: string, count: number, log?: () => string) {
  return waitFor(
    `${count} finished execution(s) of ${workflowId}`,
    async () => {
      const listed = await executionsOf(rest, workflowId);
      return listed.length >= count && listed.every((run) => !['new', 'running', 'waiting'].includes(run.status)) ? listed : undefined;
    },
    60_000,
    log,
  );
}
