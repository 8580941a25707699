/**
 * The n8n transport adapter (n8n-nodes/shared/n8n-transport.ts) on n8n-core's real request helper
 * (`httpRequest`, axios underneath), against the sandbox over HTTP: how each failure is classified (which
 * decides whether the core client sends again), that a file answer keeps its bytes, and that a send that
 * timed out is not sent a second time. The node itself is tested in direct-client.test.ts.
 */
import { WeChatClient, isWeChatFile } from '../../functions/core/client';
import { WeChatTimeoutError } from '../../functions/core/errors';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { InMemoryTokenProvider } from '../../functions/core/token';
import { TransportError } from '../../functions/core/transport';
import { failureKind, N8nHttpTransport } from '../../n8n-nodes/shared/n8n-transport';
import { stableToken, uploadMedia } from '../sandbox/helpers';
import { jpeg } from '../support/media-samples';

// n8n-core's own helper, as every n8n node context hands it out (helpers.httpRequest).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { httpRequest } = require('n8n-core/dist/execution-engine/node-execution-context/utils/request-helper-functions') as {
  httpRequest: ConstructorParameters<typeof N8nHttpTransport>[0]['httpRequest'];
};

let sandbox: Sandbox;
const transport = new N8nHttpTransport({ httpRequest });

beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true });
});

afterAll(async () => {
  await sandbox?.stop();
});

function clientWith(timeoutMs: number): WeChatClient {
  const tokens = new InMemoryTokenProvider({ transport, baseUrl: sandbox.url, appId: sandbox.appId, appSecret: sandbox.appSecret });
  return new WeChatClient({ transport, tokens, baseUrl: sandbox.url, timeoutMs, retry: { baseDelayMs: 10 } });
}

describe('failure kinds of n8n request helper errors', () => {
  it.each([
    [{ code: 'ECONNREFUSED', syscall: 'connect' }, 'unreached'],
    [{ code: 'ENOTFOUND', syscall: 'getaddrinfo' }, 'unreached'],
    [{ code: 'ETIMEDOUT', syscall: 'connect' }, 'unreached'],
    [{ code: 'ECONNABORTED', message: 'timeout of 100ms exceeded' }, 'timeout'],
    [{ code: 'ETIMEDOUT', message: 'timeout of 100ms exceeded' }, 'timeout'],
    [{ code: 'ECONNRESET', message: 'socket hang up' }, 'network'],
    [{ code: 'ERR_CANCELED', message: 'canceled' }, 'network'],
    [{ message: 'no code at all' }, 'network'],
    [{ message: 'wrapped', cause: { code: 'ECONNREFUSED' } }, 'unreached'],
  ])('%j is %s', (error, kind) => {
    // act + assess
    expect(failureKind(error)).toBe(kind);
  });
});

describe('N8nHttpTransport over n8n-core', () => {
  it('a refused connection is `unreached`, and neither the message nor the error holds the query', async () => {
    // prepare
    const closed = await startSandbox({ quiet: true });
    const url = `${closed.url}/cgi-bin/customservice/getkflist?access_token=SECRET_TOKEN`;
    await closed.stop();
    // act
    const error = await transport.send({ method: 'GET', url }).catch((e: unknown) => e);
    // assess
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: 'unreached' });
    expect((error as Error).message).toMatch(
      /could not reach http:\/\/127\.0\.0\.1:\d+\/cgi-bin\/customservice\/getkflist \(ECONNREFUSED\)/,
    );
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('SECRET_TOKEN');
  });

  it('no answer in time is `timeout`', async () => {
    // prepare
    sandbox.injectFault({ path: '/cgi-bin/getcallbackip', kind: 'delay', ms: 500 });
    // act
    const error = await transport
      .send({ method: 'GET', url: `${sandbox.url}/cgi-bin/getcallbackip`, timeoutMs: 100 })
      .catch((e: unknown) => e);
    // assess
    expect(error).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/within 100 ms/) });
  });

  it("a request the execution's cancel signal ends is `network` (it may have reached WeChat), at once", async () => {
    // prepare
    sandbox.injectFault({ path: '/cgi-bin/getcallbackip', kind: 'delay', ms: 2000 });
    const controller = new AbortController();
    const cancellable = new N8nHttpTransport({ httpRequest }, { abortSignal: controller.signal });
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    // act
    const error = await cancellable.send({ method: 'GET', url: `${sandbox.url}/cgi-bin/getcallbackip` }).catch((e: unknown) => e);
    // assess
    expect(error).toMatchObject({ kind: 'network' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('every status comes back as an answer, with lower-case headers', async () => {
    // prepare
    sandbox.injectFault({ path: '/cgi-bin/getcallbackip', kind: 'http', status: 503 });
    // act
    const res = await transport.send({ method: 'GET', url: `${sandbox.url}/cgi-bin/getcallbackip` });
    // assess
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('sandbox: injected HTTP 503');
  });

  it('a file answer keeps its bytes (media/get)', async () => {
    // prepare
    const token = String((await stableToken(sandbox)).access_token);
    const image = jpeg();
    const mediaId = String((await uploadMedia(sandbox, token, 'image', image)).media_id);
    // act
    const result = await clientWith(2000).request({
      method: 'GET',
      path: '/cgi-bin/media/get',
      query: { media_id: mediaId },
      answer: 'file',
    });
    // assess
    const file = (result as { file?: unknown }).file;
    expect(isWeChatFile(file)).toBe(true);
    expect(Buffer.from((file as { data: Uint8Array }).data).equals(image)).toBe(true);
    expect((file as { contentType: string }).contentType).toBe('image/jpeg');
  });

  it('a send that timed out is not sent again (WeChat carried it out: the user has it once)', async () => {
    // prepare
    const openid = 'o_transport_timeout';
    await sandbox.simulateUser(openid, { type: 'text', content: 'hi' });
    const client = clientWith(150);
    await client.call('listKfAccounts', {}).catch(() => undefined);
    sandbox.injectFault({ path: '/cgi-bin/message/custom/send', kind: 'delay', ms: 400 });
    const sends = sandbox.count('/cgi-bin/message/custom/send');
    // act
    const error = await client.call('sendText', { touser: openid, text: { content: 'slow' } }).catch((e: unknown) => e);
    // assess
    expect(error).toBeInstanceOf(WeChatTimeoutError);
    expect((error as Error).message).toMatch(/not retried/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sandbox.count('/cgi-bin/message/custom/send')).toBe(sends + 1);
    expect(sandbox.messages(openid).map((m) => (m.body.text as { content: string }).content)).toEqual(['slow']);
  });

  it('a read that timed out is tried again', async () => {
    // prepare
    const client = clientWith(150);
    await client.call('listKfAccounts', {});
    sandbox.injectFault({ path: '/cgi-bin/customservice/getkflist', kind: 'delay', ms: 400 });
    const lists = sandbox.count('/cgi-bin/customservice/getkflist');
    // act
    const answer = await client.call('listKfAccounts', {});
    // assess
    expect(answer).toMatchObject({ kf_list: expect.any(Array) });
    expect(sandbox.count('/cgi-bin/customservice/getkflist')).toBe(lists + 2);
  });
});
