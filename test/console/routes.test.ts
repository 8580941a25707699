/**
 * The console's routes over HTTP on `startLocal` (sandbox mode) and on the sandbox alone: its files with
 * their Content-Security-Policy, nothing else from the disk, the catalogue as data (every served operation,
 * its fields exactly as the catalogue holds them), the sandbox proxied on the same origin, GET /doctor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { CATALOGUE } from '../../functions/core/catalogue';
import { enabledFunctions, LAMBDA_FUNCTIONS } from '../../functions/lambda/functions';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { useLocalProduct } from '../support/local-product';

/** A raw GET, so paths like /console/../x reach the server unnormalised. */
function rawGet(
  base: string,
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += String(c)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('console routes on npm start', () => {
  const product = useLocalProduct('wechat-kf-console-routes-');

  it('serves the page and its modules with a CSP that allows only its own origin', async () => {
    // Act
    const page = await rawGet(product.url, '/console/');
    const app = await rawGet(product.url, '/console/app.js');
    const bare = await rawGet(product.url, '/console');
    // Assess
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script type="module" src="app.js"></script>');
    expect(page.body).not.toMatch(/https?:\/\//);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(app.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(bare.status).toBe(308);
    expect(bare.headers.location).toBe('/console/');
  });

  it('never serves anything but its own files', async () => {
    const answers = await Promise.all(
      [
        '/console/../package.json',
        '/console/%2e%2e/package.json',
        '/console/..%2fpackage.json',
        '/console/assets.ts',
        '/console/app/index.html',
        '/console/.hidden',
      ].map((p) => rawGet(product.url, p)),
    );
    for (const a of answers) {
      expect(a.status).toBe(404);
      expect(a.body).not.toContain('"dependencies"');
    }
  });

  it('lists every operation the server serves, with its route and its fields as the catalogue holds them', async () => {
    // Act
    const res = await rawGet(product.url, '/console/catalogue.json');
    const { operations } = JSON.parse(res.body) as { operations: Array<Record<string, any>> };
    // Assess
    // Served: every function but those whose setting is off (token vending, by default).
    const served = new Set(
      enabledFunctions(LAMBDA_FUNCTIONS, () => false)
        .map((fn) => fn.operation)
        .filter(Boolean),
    );
    expect(operations.map((o) => o.name)).toEqual(CATALOGUE.filter((op) => served.has(op.name)).map((op) => op.name));
    for (const op of CATALOGUE.filter((o) => served.has(o.name))) {
      const listed = operations.find((o) => o.name === op.name)!;
      expect(listed.route).toEqual({ method: op.route.method, path: op.route.path });
      expect(listed.fields).toEqual(JSON.parse(JSON.stringify((op as { fields?: unknown }).fields ?? [])));
    }
  });

  it("proxies the sandbox's control plane and its event stream on the console's origin", async () => {
    // Act
    const info = await rawGet(product.url, '/console/sandbox');
    const streamStatus = await new Promise<{ status: number; type: string; first: string }>((resolve, reject) => {
      const url = new URL(product.url);
      const req = request({ host: url.hostname, port: url.port, path: '/console/sandbox/stream', method: 'GET' }, (res) => {
        res.once('data', (chunk) => {
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), first: String(chunk) });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.end();
    });
    // Assess
    expect(JSON.parse(info.body)).toMatchObject({ name: 'WeChat customer-service sandbox', url: product.sandbox!.url });
    expect(streamStatus.status).toBe(200);
    expect(streamStatus.type).toMatch(/^text\/event-stream/);
    expect(streamStatus.first).toContain('retry: 1000');
  });

  it('refuses to let another site drive the sandbox through the console (a form post, a no-cors fetch)', async () => {
    // Act: what a page elsewhere can make a browser send, then the console itself
    const fromForm = await fetch(`${product.url}/console/sandbox/users/oCsrf/messages`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      body: '{"content":"hi"}',
    });
    const before = product.sandbox!.user('oCsrf');
    const fromSameOrigin = await fetch(`${product.url}/console/sandbox/users/oCsrf/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: product.url, 'sec-fetch-site': 'same-origin' },
      body: '{"content":"hi"}',
    });
    // Assess
    expect(before).toBeUndefined();
    expect(fromForm.status).toBe(403);
    expect(((await fromForm.json()) as { error: { code: string } }).error.code).toBe('CROSS_SITE');
    expect(fromSameOrigin.status).toBe(200);
    expect(product.sandbox!.user('oCsrf')).toBeDefined();
  });

  it('answers GET /doctor with every check, no secret in it', async () => {
    const res = await rawGet(product.url, '/doctor');
    const report = JSON.parse(res.body) as { ok: boolean; checks: Array<{ id: string; status: string }> };
    expect(res.status).toBe(200);
    expect(report.checks.map((c) => c.id)).toEqual([
      'credentials',
      'ipWhitelist',
      'kfApi',
      'menuMessages',
      'callbackToken',
      'encodingAesKey',
      'callbackUrl',
      'deployedSecret',
      'handoffKeywords',
      'aiLabel',
    ]);
    expect(report.ok).toBe(true);
    expect(res.body).not.toContain(product.sandbox!.appSecret);
  });
});

describe('console routes on npm run sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
  });
  afterAll(async () => sandbox.stop());

  it('serves the console against its own control plane, without product operations', async () => {
    const page = await rawGet(sandbox.url, '/console/');
    const config = JSON.parse((await rawGet(sandbox.url, '/console/config.json')).body) as Record<string, unknown>;
    const catalogue = await rawGet(sandbox.url, '/console/catalogue.json');
    expect(page.status).toBe(200);
    expect(config).toMatchObject({ mode: 'sandbox-only', sandbox: '/sandbox', product: false });
    expect(catalogue.status).toBe(404);
  });
});

describe('console routes on npm start with real credentials', () => {
  let wechat: Sandbox;
  let dataDir: string;
  let product: LocalProduct;
  beforeAll(async () => {
    // The sandbox stands in for api.weixin.qq.com; nothing else in the product knows it is one.
    wechat = await startSandbox({ quiet: true, appId: 'wx0123456789abcdef', appSecret: 'a-real-looking-secret' });
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-console-real-'));
    product = await startLocal({
      port: 0,
      dataDir,
      env: {
        WECHAT_APP_ID: 'wx0123456789abcdef',
        WECHAT_APP_SECRET: 'a-real-looking-secret',
        WECHAT_API_BASE_URL: wechat.url,
        WECHAT_CALLBACK_TOKEN: 'realToken42',
      },
    });
  });
  afterAll(async () => {
    await product?.stop();
    await wechat?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('has no sandbox to show, and GET /doctor tells what WeChat will refuse (40164 with the IP)', async () => {
    // Prepare
    wechat.injectFault({
      path: '/cgi-bin/stable_token',
      kind: 'errcode',
      errcode: 40164,
      errmsg: 'invalid ip 198.51.100.23 ipv6 ::ffff:198.51.100.23, not in whitelist',
    });
    // Act
    const config = JSON.parse((await rawGet(product.url, '/console/config.json')).body) as Record<string, unknown>;
    const proxied = await rawGet(product.url, '/console/sandbox/users');
    const doctor = JSON.parse((await rawGet(product.url, '/doctor')).body) as {
      ok: boolean;
      checks: Array<{ id: string; status: string; fix?: string }>;
    };
    // Assess
    expect(config).toMatchObject({ mode: 'wechat', sandbox: null, product: true });
    expect(proxied.status).toBe(404);
    expect(doctor.ok).toBe(false);
    const ip = doctor.checks.find((c) => c.id === 'ipWhitelist')!;
    expect(ip.status).toBe('fail');
    expect(ip.fix).toContain('Add 198.51.100.23');
    expect(doctor.checks.find((c) => c.id === 'callbackUrl')!.status).toBe('skip');
    expect(JSON.stringify(doctor)).not.toContain('a-real-looking-secret');
    expect(JSON.stringify(doctor)).not.toContain('realToken42');
  });
});
