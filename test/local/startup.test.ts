/**
 * Running it: `startLocal` as `npm start` runs it. The port opens only when every handler is ready, a
 * second start on the same DATA_DIR names the process holding it, the sandbox remembers its users across
 * a restart, the logs are readable, and startup messages name the environment variables.
 */
import { createServer, request as httpRequest, type Server } from 'http';
import { mkdtempSync, readdirSync, rmSync } from 'fs';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { bannerLines } from '../../functions/dev/local/banner';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { errorBody } from '../../functions/http/http';
import { startEmbeddedDynamo } from '../../functions/store';
import { jpeg } from '../support/media-samples';

const freshDir = () => mkdtempSync(join(tmpdir(), 'wechat-kf-startup-'));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A DynamoDB endpoint that answers every request `delayMs` late (a slow start). */
async function slowDynamo(delayMs: number) {
  const dynamo = await startEmbeddedDynamo({});
  const target = new URL(dynamo.endpoint);
  const proxy: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        const upstream = httpRequest(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.end(Buffer.concat(chunks));
      }, delayMs);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    async stop() {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
      await dynamo.stop();
    },
  };
}

describe('npm start: starting, restarting, logging', () => {
  const dirs: string[] = [];
  const products: LocalProduct[] = [];
  afterAll(async () => {
    for (const p of products) await p.stop().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = async (dir: string, env: NodeJS.ProcessEnv = {}, port = 0) => {
    const product = await startLocal({ port, dataDir: dir, env });
    products.push(product);
    return product;
  };

  it('a request that arrives while it starts is refused at once or answered, never left hanging', async () => {
    // Prepare: a DynamoDB that makes the start take seconds, and the port the product will use
    const dynamo = await slowDynamo(400);
    const dir = freshDir();
    dirs.push(dir);
    const port = await freePort();
    // Act: start, and ask while it is starting
    const starting = startLocal({ port, dataDir: dir, env: { DYNAMODB_ENDPOINT: dynamo.url } });
    await new Promise((r) => setTimeout(r, 300));
    const early = await fetch(`http://127.0.0.1:${port}/interactions/oEarly`, { signal: AbortSignal.timeout(2_000) }).then(
      (res) => ({ answered: res.status }),
      (error: Error & { cause?: { code?: string } }) => ({
        failed: error.name === 'TimeoutError' ? 'hung' : (error.cause?.code ?? error.name),
      }),
    );
    const product = await starting;
    products.push(product);
    const ready = await fetch(`${product.url}/interactions/oEarly`);
    // Assess
    expect(early).toEqual({ failed: 'ECONNREFUSED' });
    expect(ready.status).toBe(200);
    await product.stop();
    await dynamo.stop();
  });

  it('a second start on the same DATA_DIR says the folder is in use, and by which process', async () => {
    // Prepare
    const dir = freshDir();
    dirs.push(dir);
    await start(dir);
    // Act
    const second = await startLocal({ port: 0, dataDir: dir, env: {} }).catch((e: Error) => e);
    // Assess
    expect(second).toBeInstanceOf(Error);
    expect((second as Error).message).toContain(`is in use by process ${process.pid}`);
    expect((second as Error).message).toContain('DATA_DIR');
  });

  it("the sandbox's users and kf accounts stay for the next start, so a send after a restart goes through", async () => {
    // Prepare: a user writes in and a kf account is added; then the product stops
    const dir = freshDir();
    dirs.push(dir);
    const first = await start(dir);
    await first.sandbox!.simulateUser('oStays', { type: 'text', content: 'hi' });
    await fetch(`${first.url}/kf-accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kf_account: 'stay@sandbox', nickname: 'Stay' }),
    });
    await first.stop();
    // Act
    const second = await start(dir);
    const state = await (await fetch(`${second.url}/interactions/oStays`)).json();
    const sent = await fetch(`${second.url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ touser: 'oStays', msgtype: 'text', text: { content: 'after a restart' } }),
    });
    // Assess
    expect(state).toMatchObject({ canSend: true });
    expect(sent.status).toBe(200);
    expect(second.sandbox!.user('oStays')).toMatchObject({ following: true });
    expect(second.sandbox!.kfAccounts().map((k) => k.kf_account)).toEqual(['stay@sandbox']);
  });

  it('a file uploaded before a restart is still held after it: the media_id the product cached downloads, and a send naming it needs no re-upload', async () => {
    // Prepare: a user writes in, a photo is uploaded, the product stops
    const dir = freshDir();
    dirs.push(dir);
    const photo = jpeg(1500);
    const first = await start(dir);
    await first.sandbox!.simulateUser('oMediaStays', { type: 'text', content: 'hi' });
    const form = new FormData();
    form.append('type', 'image');
    form.append('media', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
    const uploaded = (await (await fetch(`${first.url}/media`, { method: 'POST', body: form })).json()) as { media_id: string };
    await first.stop();
    // Act
    const second = await start(dir);
    const downloaded = await fetch(`${second.url}/media/${uploaded.media_id}`);
    const bytes = Buffer.from(await downloaded.arrayBuffer());
    const sent = await fetch(`${second.url}/messages/image`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ touser: 'oMediaStays', image: { media_id: uploaded.media_id } }),
    });
    // Assess
    expect(downloaded.status).toBe(200);
    expect(bytes.equals(photo)).toBe(true);
    expect(sent.status).toBe(200);
    expect(second.sandbox!.count('/cgi-bin/media/upload')).toBe(0);
    expect(second.sandbox!.media().map((m) => [m.media_id, m.size])).toEqual([[uploaded.media_id, photo.length]]);
    // and a media_id the sandbox forgets (as WeChat may) leaves no file behind
    expect(readdirSync(join(dir, 'sandbox-media'))).toEqual([uploaded.media_id]);
    await fetch(`${second.sandbox!.url}/sandbox/media/${uploaded.media_id}`, { method: 'DELETE' });
    expect(readdirSync(join(dir, 'sandbox-media'))).toEqual([]);
  });

  it('logs: no empty-metrics line per request, WeChat refusals at WARN with the errcode, and a 500 says where the log is', async () => {
    // Prepare: a user whose window is open but whom WeChat does not know (40003)
    const dir = freshDir();
    dirs.push(dir);
    const level = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'WARN'; // as npm start runs (functions/dev/local/quiet.ts)
    const product = await start(dir).finally(() => {
      process.env.POWERTOOLS_LOG_LEVEL = level;
    });
    await fetch(`${product.url}/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"openid":"oUnknownToWeChat"}',
    });
    const written: string[] = [];
    const capture = (stream: NodeJS.WriteStream) =>
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    const out = capture(process.stdout);
    const err = capture(process.stderr);
    // Act
    let refused: Response;
    try {
      await fetch(`${product.url}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"touser":"o1","msgtype":"fax"}',
      });
      refused = await fetch(`${product.url}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ touser: 'oUnknownToWeChat', msgtype: 'text', text: { content: 'x' } }),
      });
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    const internal = errorBody(new Error('boom'));
    // Assess
    expect(refused.status).toBe(502);
    const log = written.join('');
    expect(log).not.toContain('No application metrics to publish');
    const lines = log.split('\n').filter((l) => l.includes('40003'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => /"level":"WARN"/.test(l))).toBe(true);
    expect(log).not.toMatch(/"level":"ERROR"/);
    expect(internal.body.error.message).toMatch(/output of npm start .*process \d+/);
  });

  it('startup messages name the environment variable, and the banner names the callback mode and "5 replies within 48 h"', async () => {
    // Act
    const badKey = await startLocal({ port: 0, dataDir: freshDir(), env: { WECHAT_ENCODING_AES_KEY: 'tooShort' } }).catch((e: Error) => e);
    const dir = freshDir();
    dirs.push(dir);
    const product = await start(dir, { WECHAT_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' });
    const banner = bannerLines(product, {}).join('\n');
    // Assess
    expect((badKey as Error).message).toMatch(/^WECHAT_ENCODING_AES_KEY must be 43 characters/);
    expect(banner).toContain('callback: safe mode');
    expect(banner).toContain('5 replies within 48 h');
    const pushed = await product.sandbox!.simulateUser('oSafe', { type: 'text', content: 'hi' });
    expect(pushed).toMatchObject({ delivered: true, body: 'success' });
  });

  it('every on/off variable reads the same words: yes is on, maybe stops the start naming the variable', async () => {
    // Act
    const refused = await Promise.all(
      ['TOKEN_VENDING', 'DELIVERY_RECORD_CONTENT', 'MEDIA_URL_ALLOW_PRIVATE'].map((name) => {
        const d = freshDir();
        dirs.push(d);
        return startLocal({ port: 0, dataDir: d, env: { [name]: 'maybe' } }).catch((e: Error) => e);
      }),
    );
    const dir = freshDir();
    dirs.push(dir);
    const product = await start(dir, { TOKEN_VENDING: 'yes', DELIVERY_RECORD_CONTENT: 'YES', MEDIA_URL_ALLOW_PRIVATE: 'off' });
    // Assess
    expect(refused.map((e) => (e as Error).message)).toEqual(
      ['TOKEN_VENDING', 'DELIVERY_RECORD_CONTENT', 'MEDIA_URL_ALLOW_PRIVATE'].map(
        (name) => `${name} must be true/false, 1/0, yes/no or on/off, got "maybe"`,
      ),
    );
    expect(product.routes.some((r) => r.includes('/access-token'))).toBe(true);
    expect(product.context.config.deliveryRecordContent).toBe(true);
  });

  it("the banner lists the sandbox's other accounts (SANDBOX_ACCOUNTS), and its example push reaches that account only", async () => {
    // Prepare
    const dir = freshDir();
    dirs.push(dir);
    const B = 'wxbbbbbbbbbbbbbbbb';
    const product = await start(dir, { SANDBOX_ACCOUNTS: `${B}:secretOfBannerB1` });
    const aloneDir = freshDir();
    dirs.push(aloneDir);
    const alone = await start(aloneDir);
    // Act: the push the banner shows, then a send for B and one for the default account to the same openid
    const banner = bannerLines(product, {}).join('\n');
    const example = /curl -s -X POST '([^']+)' -H 'content-type: application\/json' -d '([^']+)'/.exec(banner);
    const pushed = await fetch(example![1]!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: example![2] });
    const send = (prefix: string) =>
      fetch(`${product.url}${prefix}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ touser: 'oUser1', msgtype: 'text', text: { content: 'hi' } }),
      });
    const asB = await send(`/accounts/${B}`);
    const asDefault = await send('');
    // Assess
    expect(banner).toContain(`${B}: pushes to ${product.url}/callback/${B}; act for it under ${product.url}/accounts/${B}/…`);
    expect(example![1]).toBe(`${product.sandbox!.url}/sandbox/users/oUser1/messages?appId=${B}`);
    expect(((await pushed.json()) as { delivered: boolean }).delivered).toBe(true);
    expect(asB.status).toBe(200);
    expect(asDefault.status).toBe(409);
    expect(bannerLines(alone, {}).join('\n')).toContain('SANDBOX_ACCOUNTS=wx…:secret[,…] hosts more');
  });

  it("the banner names the sandbox's WeChat ID, and a kf account named with it as the banner says is added", async () => {
    // Prepare
    const dir = freshDir();
    dirs.push(dir);
    const product = await start(dir);
    // Act
    const banner = bannerLines(product, {}).join('\n');
    const example = /name kf accounts prefix@(\S+) \(e\.g\. (\S+)\)/.exec(banner);
    const added = await fetch(`${product.url}/kf-accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kf_account: example?.[2], nickname: 'Agent' }),
    });
    const list = (await (await fetch(`${product.url}/kf-accounts`)).json()) as { kf_list: { kf_account: string }[] };
    // Assess
    expect(example?.[1]).toBe(product.sandbox!.wechatId);
    expect(added.status).toBe(200);
    expect(list.kf_list.map((k) => k.kf_account)).toEqual([example?.[2]]);
  });
});
