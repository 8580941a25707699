/**
 * The SSRF-safe media fetcher against real HTTP servers on loopback (the address checks themselves:
 * net.test.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fetchIssuedUrl,
  fetchUrl,
  forbiddenAddressReason,
  IssuedUrlError,
  MediaUrlError,
  type FetchOptions,
} from '../../functions/core/net';
import { png } from '../support/media-samples';

interface TestServer {
  url: string;
  hits: string[];
  stop(): Promise<void>;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void, host = '127.0.0.1'): Promise<TestServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    hits,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function refusal(url: string, options: Partial<FetchOptions> = {}): Promise<MediaUrlError> {
  const error = await fetchUrl(url, { maxBytes: 1024 * 1024, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MediaUrlError)) throw new Error(`expected a MediaUrlError, got ${String(error)}`);
  return error;
}

describe('fetchUrl with the default policy (public https only)', () => {
  const saved = process.env.MEDIA_URL_ALLOW_PRIVATE;
  beforeAll(() => {
    delete process.env.MEDIA_URL_ALLOW_PRIVATE;
  });
  afterAll(() => {
    if (saved !== undefined) process.env.MEDIA_URL_ALLOW_PRIVATE = saved;
  });

  it.each([
    ['http://example.com/a.png', 'must be an https:// URL'],
    ['ftp://example.com/a.png', 'must be an https:// URL'],
    ['file:///etc/passwd', 'must be an https:// URL'],
    ['not a url', 'absolute https:// URL'],
    ['https://user:pw@example.com/a.png', 'user name or password'],
    ['https://127.0.0.1/a.png', 'loopback'],
    ['https://169.254.169.254/latest/meta-data/', 'metadata'],
    ['https://10.0.0.7/a.png', 'private'],
    ['https://[::1]/a.png', 'loopback'],
    ['https://[::ffff:127.0.0.1]/a.png', 'loopback'],
    ['https://[fd00:ec2::254]/', 'metadata'],
    ['https://2130706433/a.png', 'loopback'],
    ['https://0x7f.1/a.png', 'loopback'],
  ])('refuses %s before any connection (400 MEDIA_URL_REFUSED)', async (url, rule) => {
    // act
    const error = await refusal(url, { field: 'image.url' });

    // assess
    expect(error).toMatchObject({ code: 'MEDIA_URL_REFUSED', status: 400, field: 'image.url' });
    expect(error.message).toContain(rule);
  });

  it('refuses a host when any one of its addresses is refused', async () => {
    // prepare
    const resolved: string[] = [];
    const resolve = async (host: string) => {
      resolved.push(host);
      return [
        { address: '93.184.215.14', family: 4 },
        { address: '192.168.0.10', family: 4 },
      ];
    };

    // act
    const error = await refusal('https://cdn.example.test/a.png', { resolve });

    // assess
    expect(resolved).toEqual(['cdn.example.test']);
    expect(error.code).toBe('MEDIA_URL_REFUSED');
    expect(error.message).toContain('cdn.example.test (192.168.0.10) is a private address');
  });

  it("refuses the Lambda runtime API's loopback address (AWS_LAMBDA_RUNTIME_API), like every loopback address", async () => {
    // prepare: a stand-in runtime API on loopback, where Lambda puts it
    const runtime = await serve((_req, res) => res.end('{"secret":"invocation payload"}'));
    const saved = process.env.AWS_LAMBDA_RUNTIME_API;
    process.env.AWS_LAMBDA_RUNTIME_API = new URL(runtime.url).host;
    try {
      // act
      const asHttps = await refusal(`https://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next`);
      const asHttp = await refusal(`http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next`);
      const byName = await refusal(`https://lambda-runtime.test:${new URL(runtime.url).port}/2018-06-01/runtime/invocation/next`, {
        resolve: async () => [{ address: '127.0.0.1', family: 4 }],
      });

      // assess
      expect(asHttps.message).toContain('loopback');
      expect(asHttp.message).toContain('https');
      expect(byName.message).toContain('loopback');
      expect(runtime.hits).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.AWS_LAMBDA_RUNTIME_API;
      else process.env.AWS_LAMBDA_RUNTIME_API = saved;
      await runtime.stop();
    }
  });

  it('answers 422 MEDIA_URL_UNAVAILABLE for a host that does not resolve', async () => {
    // act
    const error = await refusal('https://nothing.invalid/a.png', {
      resolve: async () => {
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      },
    });

    // assess
    expect(error).toMatchObject({ code: 'MEDIA_URL_UNAVAILABLE', status: 422 });
    expect(error.message).toContain('ENOTFOUND');
  });
});

describe('fetchUrl with private addresses allowed (local runs and tests)', () => {
  let files: TestServer;
  const image = png(5000);

  beforeAll(async () => {
    files = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/cat.png') {
        res.writeHead(200, { 'content-type': 'text/html', 'content-disposition': 'inline; filename="kitty.png"' });
        res.end(image);
      } else if (url.pathname === '/redirect') {
        res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
        res.end();
      } else if (url.pathname === '/loop') {
        res.writeHead(302, { location: '/loop' });
        res.end();
      } else if (url.pathname === '/big-chunked') {
        res.writeHead(200, { 'content-type': 'image/png' });
        const chunk = Buffer.alloc(64 * 1024, 1);
        let sent = 0;
        const pump = () => {
          while (sent < 4 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => (sent = Number.POSITIVE_INFINITY));
        pump();
      } else if (url.pathname === '/big-declared') {
        res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        res.write(Buffer.alloc(1024));
      } else if (url.pathname === '/slow') {
        // never answers
      } else if (url.pathname === '/slow-body') {
        // answers its head and a first chunk, then stalls
        res.writeHead(200, { 'content-length': '4096' });
        res.write(Buffer.alloc(1024));
      } else {
        res.writeHead(404);
        res.end('not found');
      }
    });
  });
  afterAll(async () => {
    await files.stop();
  });

  const allowed = { allowPrivate: true, maxBytes: 1024 * 1024 };

  it('fetches a file, with its type read from its bytes and its name from Content-Disposition', async () => {
    // act
    const file = await fetchUrl(`${files.url}/cat.png`, allowed);

    // assess
    expect(Buffer.from(file.data).equals(image)).toBe(true);
    expect(file.sniffed).toEqual({ format: 'png', contentType: 'image/png', extension: 'png' });
    expect(file.declaredType).toBe('text/html');
    expect(file.filename).toBe('kitty.png');
  });

  it('follows a redirect and checks the next hop again', async () => {
    // act
    const file = await fetchUrl(`${files.url}/redirect?to=/cat.png`, allowed);

    // assess
    expect(file.finalUrl).toBe(`${files.url}/cat.png`);
    expect(file.sniffed?.format).toBe('png');
  });

  it.each([
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', 'metadata'],
    ['a link-local address', 'http://169.254.10.10/', 'link-local'],
    ['an IPv4-mapped metadata address', 'http://[::ffff:169.254.169.254]/', 'metadata'],
  ])('never follows a redirect to %s, even with private addresses allowed', async (_what, to, rule) => {
    // act
    const error = await refusal(`${files.url}/redirect?to=${encodeURIComponent(to)}`, allowed);

    // assess
    expect(error.code).toBe('MEDIA_URL_REFUSED');
    expect(error.message).toContain(rule);
  });

  it('refuses a redirect to a refused address under a stricter policy, before connecting to it', async () => {
    // prepare: a second server on another loopback address, which the policy refuses
    const inner = await serve((_req, res) => res.end('secret'), '127.0.0.2');
    const policy = (address: string) => (address === '127.0.0.1' ? undefined : forbiddenAddressReason(address));
    try {
      // act
      const direct = await refusal(`${files.url}/redirect?to=${encodeURIComponent(`${inner.url}/admin`)}`, { ...allowed, policy });
      const byName = await refusal(`${files.url}/redirect?to=${encodeURIComponent(`http://inner.test:${new URL(inner.url).port}/admin`)}`, {
        ...allowed,
        policy,
        resolve: async () => [{ address: '127.0.0.2', family: 4 }],
      });

      // assess
      expect(direct.message).toContain('127.0.0.2 is a loopback address');
      expect(byName.message).toContain('inner.test (127.0.0.2) is a loopback address');
      expect(inner.hits).toEqual([]);
    } finally {
      await inner.stop();
    }
  });

  it('refuses a redirect from https to http and more than 3 redirects', async () => {
    // act
    const loop = await refusal(`${files.url}/loop`, allowed);

    // assess
    expect(loop.message).toContain('redirects more than 3 times');
  });

  it('stops reading a body past the cap (no Content-Length), and refuses a declared one at once', async () => {
    // act
    const chunked = await refusal(`${files.url}/big-chunked`, allowed);
    const declared = await refusal(`${files.url}/big-declared`, allowed);

    // assess
    expect(chunked).toMatchObject({ code: 'MEDIA_TOO_LARGE', status: 400 });
    expect(chunked.message).toContain('larger than the 1 MB allowed');
    expect(declared.code).toBe('MEDIA_TOO_LARGE');
  });

  it('gives up after the timeout, and reports a 404 as unavailable', async () => {
    // act
    const slow = await refusal(`${files.url}/slow`, { ...allowed, timeoutMs: 200 });
    const missing = await refusal(`${files.url}/missing.png`, allowed);

    // assess
    expect(slow).toMatchObject({ code: 'MEDIA_URL_UNAVAILABLE', status: 422 });
    expect(slow.message).toContain('in time');
    expect(missing.message).toContain('answered HTTP 404');
  });

  it('says a body that stalls past the deadline timed out, not that it was cut off', async () => {
    // act
    const stalled = await refusal(`${files.url}/slow-body`, { ...allowed, timeoutMs: 300 });

    // assess
    expect(stalled.code).toBe('MEDIA_URL_UNAVAILABLE');
    expect(stalled.rule).toBe('did not finish within 0.3 s (the deadline of the whole fetch)');
  });

  it('reads MEDIA_URL_ALLOW_PRIVATE when no option is given', async () => {
    // prepare
    const saved = process.env.MEDIA_URL_ALLOW_PRIVATE;
    try {
      // act
      process.env.MEDIA_URL_ALLOW_PRIVATE = 'true';
      const file = await fetchUrl(`${files.url}/cat.png`, { maxBytes: 1024 * 1024 });
      process.env.MEDIA_URL_ALLOW_PRIVATE = 'yes';
      const yes = await fetchUrl(`${files.url}/cat.png`, { maxBytes: 1024 * 1024 });
      process.env.MEDIA_URL_ALLOW_PRIVATE = 'off';
      const refused = await refusal(`${files.url}/cat.png`);
      process.env.MEDIA_URL_ALLOW_PRIVATE = 'maybe';
      const unknown = await fetchUrl(`${files.url}/cat.png`, { maxBytes: 1024 * 1024 }).catch((e: Error) => e);

      // assess: the one flag reader (core/flags.ts): yes is on, off is off, maybe is refused by name
      expect(file.sniffed?.format).toBe('png');
      expect(yes.sniffed?.format).toBe('png');
      expect(refused.code).toBe('MEDIA_URL_REFUSED');
      expect((unknown as Error).message).toBe('MEDIA_URL_ALLOW_PRIVATE must be true/false, 1/0, yes/no or on/off, got "maybe"');
    } finally {
      if (saved === undefined) delete process.env.MEDIA_URL_ALLOW_PRIVATE;
      else process.env.MEDIA_URL_ALLOW_PRIVATE = saved;
    }
  });
});

describe('fetchIssuedUrl: a URL WeChat handed out (a video_url)', () => {
  let files: TestServer;
  const saved = process.env.MEDIA_URL_ALLOW_PRIVATE;
  beforeAll(async () => {
    delete process.env.MEDIA_URL_ALLOW_PRIVATE;
    files = await serve((req, res) => {
      if (req.url === '/clip.png') res.end(png(500));
      else if (req.url === '/to-metadata') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  afterAll(async () => {
    await files.stop();
    if (saved !== undefined) process.env.MEDIA_URL_ALLOW_PRIVATE = saved;
  });
  const what = 'the video_url WeChat answered';
  const failure = (url: string, trustedOrigin?: string) =>
    fetchIssuedUrl(url, { maxBytes: 1024 * 1024, what, ...(trustedOrigin ? { trustedOrigin } : {}) }).then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: unknown) => e as IssuedUrlError,
    );

  it('fetches over http from the WeChat API base it is configured with (the sandbox on loopback)', async () => {
    // act
    const file = await fetchIssuedUrl(`${files.url}/clip.png`, { maxBytes: 1024 * 1024, what, trustedOrigin: `${files.url}/` });

    // assess
    expect(file.sniffed?.format).toBe('png');
  });

  it('keeps the address checks elsewhere and answers a failure as 502, naming no input field', async () => {
    // act
    const loopback = await failure(`${files.url}/clip.png`);
    const metadata = await failure('http://169.254.169.254/latest/meta-data/');
    const redirected = await failure(`${files.url}/to-metadata`, files.url);
    const missing = await failure(`${files.url}/gone.mp4`, files.url);

    // assess
    for (const e of [loopback, metadata, redirected, missing]) {
      expect(e).toBeInstanceOf(IssuedUrlError);
      expect(e.status).toBe(502);
      expect(e.toBody().error).toEqual({
        code: 'WECHAT_MEDIA_UNAVAILABLE',
        message: expect.stringContaining(`${what} could not be fetched`),
      });
    }
    expect(loopback.message).toContain('loopback');
    expect(metadata.message).toContain('169.254.169.254');
    expect(redirected.message).toContain('169.254.169.254');
    expect(missing.message).toContain('HTTP 404');
  });
});
