/**
 * Shared by the tests that drive the whole local product over HTTP (test/local): one `startLocal` per
 * describe block, in sandbox mode on a fresh data folder, and one way to call its routes.
 *
 * @example
 * ```ts
 * describe('npm start', () => {
 *   const product = useLocalProduct('wechat-kf-local-');
 *   it('answers', async () => expect((await callProduct(product, 'GET', '/kf-accounts')).status).toBe(200));
 * });
 * ```
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalOptions, type LocalProduct } from '../../functions/dev/local/server';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../functions/dev/sandbox';

/** The product of a describe block; `restart()` stops it and starts it again on the same data folder. */
export type LocalProductFixture = LocalProduct & { restart(): Promise<void> };

/**
 * Starts the local product before the block's tests (port 0, a fresh temporary data folder named with
 * `prefix`, `env` as given, sandbox mode unless it names WeChat credentials) and stops it and removes the
 * folder after them. The value returned stands for the running product: use it inside tests and hooks
 * (hooks of the block run after this one's `beforeAll`, so they may already use it).
 */
export function useLocalProduct(prefix: string, options: Omit<LocalOptions, 'dataDir' | 'port'> = {}): LocalProductFixture {
  let dataDir = '';
  let running: LocalProduct | undefined;
  const start = async () => {
    running = await startLocal({ port: 0, dataDir, env: {}, ...options });
  };
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), prefix));
    await start();
  });
  afterAll(async () => {
    await running?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  const restart = async () => {
    await running?.stop();
    await start();
  };
  return new Proxy({} as LocalProductFixture, {
    get(_target, key) {
      if (key === 'restart') return restart;
      if (!running) throw new Error(`the local product (${prefix}) is started in beforeAll: use it inside a test or a hook`);
      return Reflect.get(running, key);
    },
  });
}

/** What a route answered: the status, headers, body as text and bytes, and the body as JSON when it is. */
export interface ProductAnswer {
  status: number;
  headers: Headers;
  text: string;
  bytes: Buffer;
  json: any;
}

/**
 * Calls a route of the product: an object body is sent as JSON; a string, bytes or a FormData as they
 * are. `content-type: application/json` is added for a body unless `headers` names a content type.
 */
export async function callProduct(
  product: Pick<LocalProduct, 'url'>,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ProductAnswer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(`${product.url}${path}`, init);
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, bytes, json };
}

/** The product run against WeChat (a sandbox started apart), and that WeChat. */
export interface ProductOnWeChat {
  sandbox: Sandbox;
  product: LocalProduct;
  stop(): Promise<void>;
}

/**
 * Starts WeChat (a sandbox hosting the default account and `accounts`) and the product as `npm start` with
 * the default account's credentials (WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_API_BASE_URL) and
 * `callbackToken`, on a fresh data folder named with `prefix`: the product's other accounts are added
 * through its API, as a user does. `stop()` stops both and removes the folder.
 *
 * @example
 * ```ts
 * const { sandbox, product, stop } = await startProductOnWeChat('wechat-kf-x-', { accounts: [{ appId: B, appSecret: B_SECRET }], callbackToken: 'tok' });
 * ```
 */
export async function startProductOnWeChat(
  prefix: string,
  options: { accounts?: SandboxOptions['accounts']; callbackToken: string },
): Promise<ProductOnWeChat> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const sandbox = await startSandbox({ quiet: true, accounts: options.accounts });
  const product = await startLocal({
    port: 0,
    dataDir,
    env: {
      WECHAT_APP_ID: sandbox.appId,
      WECHAT_APP_SECRET: sandbox.appSecret,
      WECHAT_API_BASE_URL: sandbox.url,
      WECHAT_CALLBACK_TOKEN: options.callbackToken,
    },
  });
  return {
    sandbox,
    product,
    async stop() {
      await product.stop();
      await sandbox.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
