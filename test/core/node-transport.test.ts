/**
 * The keep-alive transport (functions/core/node-transport.ts) against real local sockets: what it answers,
 * that it keeps one connection for many requests, and the kind of each failure, which decides whether the
 * client may send again (`unreached`: nothing was written; `network` and `timeout`: it may have been).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo, Socket } from 'net';
import { NodeHttpTransport } from '../../functions/core/node-transport';
import { TransportError } from '../../functions/core/transport';

interface TestServer {
  url: string;
  connections: number;
  requests: Array<{ method: string; url: string; body: string; headers: IncomingMessage['headers'] }>;
  stop(): Promise<void>;
}

async function startServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const state: TestServer = { url: '', connections: 0, requests: [], stop: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      handle(req, res);
    });
  });
  server.keepAliveTimeout = 10_000;
  server.on('connection', (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return state;
}

async function failureOf(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

describe('NodeHttpTransport', () => {
  let transport: NodeHttpTransport;
  let server: TestServer | undefined;
  beforeEach(() => {
    transport = new NodeHttpTransport({ timeoutMs: 2000 });
  });
  afterEach(async () => {
    transport.close();
    await server?.stop();
    server = undefined;
  });

  it('answers status, headers, text and bytes, and keeps one connection for many requests', async () => {
    // prepare
    server = await startServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', echo: req.url }));
    });
    // act
    const answers = [];
    for (let i = 0; i < 5; i++)
      answers.push(
        await transport.send({
          method: 'POST',
          url: `${server.url}/cgi-bin/message/custom/send?access_token=T${i}`,
          body: '{"touser":"o"}',
          headers: { 'content-type': 'application/json' },
        }),
      );
    // assess
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[4]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answers[4]!.body)).toEqual({ errcode: 0, errmsg: 'ok', echo: '/cgi-bin/message/custom/send?access_token=T4' });
    expect(Buffer.from(answers[4]!.bytes!).toString('utf8')).toBe(answers[4]!.body);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      body: '{"touser":"o"}',
      headers: { 'content-length': '14', connection: 'keep-alive' },
    });
    expect(server.connections).toBe(1);
  });

  it('sends bytes unchanged', async () => {
    // prepare
    server = await startServer((req, res) => res.end('ok'));
    const bytes = new Uint8Array([0xff, 0xd8, 0x00, 0x01, 0xfe]);
    // act
    await transport.send({ method: 'POST', url: `${server.url}/upload`, body: bytes });
    // assess
    expect(server.requests[0]!.headers['content-length']).toBe('5');
  });

  it('sends a plain path and query as they are, with Host and the body length, and a POST without a body as length 0', async () => {
    // prepare
    server = await startServer((req, res) => res.end('ok'));
    const host = new URL(server.url).host;
    // act
    await transport.send({
      method: 'POST',
      url: `${server.url}/cgi-bin/kfaccount/add?access_token=T&kf_account=kf1@gh_x`,
      body: '{"nickname":"客服"}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    await transport.send({ method: 'POST', url: `${server.url}/cgi-bin/token/empty` });
    await transport.send({ method: 'GET', url: `${server.url}/cgi-bin/getcallbackip?access_token=T` });
    // assess
    expect(server.requests[0]).toMatchObject({
      url: '/cgi-bin/kfaccount/add?access_token=T&kf_account=kf1@gh_x',
      body: '{"nickname":"客服"}',
      headers: {
        host,
        'content-length': String(Buffer.byteLength('{"nickname":"客服"}')),
        'content-type': 'application/json; charset=utf-8',
      },
    });
    expect(server.requests[1]!.headers['content-length']).toBe('0');
    expect(server.requests[2]!.headers['content-length']).toBeUndefined();
    expect(server.requests[2]!.headers['transfer-encoding']).toBeUndefined();
  });

  it('sends a URL the URL parser would change as it changes it (dot segments, characters it escapes, a fragment)', async () => {
    // prepare
    server = await startServer((req, res) => res.end('ok'));
    // act
    await transport.send({ method: 'GET', url: `${server.url}/x/../cgi-bin/a b?q=it's 1#frag` });
    await transport.send({ method: 'GET', url: `${server.url}/cgi-bin/%2e%2e/user/info?openid=o` });
    await transport.send({ method: 'GET', url: `${server.url.replace('http://', 'HTTP://')}/cgi-bin/upper` });
    // assess
    expect(server.requests.map((r) => r.url)).toEqual(['/cgi-bin/a%20b?q=it%27s%201', '/user/info?openid=o', '/cgi-bin/upper']);
  });

  it('refuses a scheme other than http and https as unreached', async () => {
    // act
    const error = await failureOf(transport.send({ method: 'GET', url: 'ftp://127.0.0.1/cgi-bin/token?secret=SECRET' }));
    // assess
    expect(error.kind).toBe('unreached');
    expect(error.message).not.toContain('SECRET');
  });

  it('opens a new connection rather than reuse one idle longer than maxIdleMs', async () => {
    // prepare
    transport.close();
    transport = new NodeHttpTransport({ timeoutMs: 2000, maxIdleMs: 50 });
    server = await startServer((req, res) => res.end('ok'));
    await transport.send({ method: 'GET', url: `${server.url}/a` });
    await new Promise((r) => setTimeout(r, 150));
    // act
    const answer = await transport.send({ method: 'GET', url: `${server.url}/b` });
    // assess
    expect(answer.status).toBe(200);
    expect(server.connections).toBe(2);
  });

  it('never reuses a connection idle past maxIdleMs by the wall clock, even when no timer ran meanwhile (a frozen Lambda)', async () => {
    // prepare: a clock that jumps, as a Lambda's does across a freeze (the agent's idle timer never fires)
    let clock = 1_000_000;
    transport.close();
    transport = new NodeHttpTransport({ timeoutMs: 2000, maxIdleMs: 4000, now: () => clock });
    server = await startServer((req, res) => res.end('ok'));
    await transport.send({ method: 'GET', url: `${server.url}/a` });
    clock += 1000;
    await transport.send({ method: 'GET', url: `${server.url}/b` });
    // act: 10 s later by the wall clock, at once in real time
    clock += 10_000;
    await transport.send({ method: 'GET', url: `${server.url}/c` });
    // assess: the first two shared a connection, the third got a new one
    expect(server.connections).toBe(2);
  });

  it('drops a stale connection at the bottom of the pool, although a look after it was freed found it fresh', async () => {
    // prepare: the first request looks at t=0 (nothing to look at); two connections are freed at t=3 s;
    // at t=4.5 s a request looks, finds both fresh and reuses the newer one (freed again at t=4.5 s)
    let clock = 1_000_000;
    transport.close();
    transport = new NodeHttpTransport({ timeoutMs: 2000, maxIdleMs: 4000, now: () => clock });
    server = await startServer((req, res) => setTimeout(() => res.end('ok'), 20));
    const url = server.url;
    await transport.send({ method: 'GET', url: `${url}/first` });
    clock += 3000;
    await Promise.all([transport.send({ method: 'GET', url: `${url}/a` }), transport.send({ method: 'GET', url: `${url}/b` })]);
    clock += 1500;
    await transport.send({ method: 'GET', url: `${url}/c` });
    // act: at t=7.5 s two requests at once: the older connection is stale (4.5 s idle), the newer is not (3 s)
    clock += 3000;
    await Promise.all([transport.send({ method: 'GET', url: `${url}/d` }), transport.send({ method: 'GET', url: `${url}/e` })]);
    // assess: the stale one was not reused: a third connection was opened
    expect(server.connections).toBe(3);
  });

  it('reports a refused connection as unreached: nothing was written, sending again is safe', async () => {
    // prepare: a port nobody listens on
    const closed = await startServer(() => undefined);
    const url = closed.url;
    await closed.stop();
    // act
    const error = await failureOf(
      transport.send({ method: 'POST', url: `${url}/cgi-bin/message/custom/send?access_token=SECRET`, body: '{}' }),
    );
    // assess
    expect(error.kind).toBe('unreached');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain('SECRET');
  });

  it('reports a connection reset after the request was written as network: it may have been carried out', async () => {
    // prepare: the server reads the request, then drops the connection without answering
    server = await startServer((req) => req.socket.destroy());
    // act
    const error = await failureOf(
      transport.send({ method: 'POST', url: `${server.url}/cgi-bin/message/custom/send?access_token=SECRET`, body: '{}' }),
    );
    // assess
    expect(error.kind).toBe('network');
    expect(server.requests).toHaveLength(1);
    expect(error.message).not.toContain('SECRET');
  });

  it('reports an answer cut off mid-body as network', async () => {
    // prepare: headers promise 100 bytes, 10 come, then the connection drops
    server = await startServer((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('0123456789', () => res.socket?.destroy());
    });
    // act
    const error = await failureOf(transport.send({ method: 'GET', url: `${server.url}/cgi-bin/media/get` }));
    // assess
    expect(error.kind).toBe('network');
  });

  it('reports no answer within the deadline as timeout', async () => {
    // prepare: the server reads the request and never answers
    server = await startServer(() => undefined);
    const started = Date.now();
    // act
    const error = await failureOf(
      transport.send({ method: 'POST', url: `${server.url}/cgi-bin/message/custom/send?access_token=SECRET`, body: '{}', timeoutMs: 200 }),
    );
    // assess
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(server.requests).toHaveLength(1);
    expect(error.message).not.toContain('SECRET');
  });
});
