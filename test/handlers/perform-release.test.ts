/**
 * perform's release rule, on its own: a send the gate counted is given back exactly when it provably did
 * not reach the user (WeChat refused it with an errcode, or the request never left), and kept when it may
 * have (a timeout or a broken connection after sending) or when it succeeded. The client is the real
 * WeChatClient over an in-memory transport that answers as WeChat would; the gate is a recording stand-in
 * for the window store (the DynamoDB side of release is tested on dynalite in test/store).
 */
import { getOperation } from '../../functions/core/catalogue';
import { WeChatClient } from '../../functions/core/client';
import { TransportError, type HttpResponse, type HttpTransport } from '../../functions/core/transport';
import { createLogger, createMetrics, type AppContext } from '../../functions/handlers/context';
import { perform } from '../../functions/handlers/perform';

type Answer = () => Promise<HttpResponse>;
const json = (body: unknown): Answer => async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const fail = (kind: 'timeout' | 'network' | 'unreached'): Answer => async () => {
  throw new TransportError(kind, `simulated ${kind}`);
};

/** A context whose gate records acquisitions and releases, and whose WeChat answers `answers` in turn. */
function contextWith(answers: Answer[]) {
  const calls = { acquired: 0, released: 0, sent: 0 };
  const transport: HttpTransport = {
    send: async () => {
      calls.sent++;
      return (answers.shift() ?? json({ errcode: 0, errmsg: 'ok' }))();
    },
  };
  const client = new WeChatClient({
    transport,
    tokens: { getToken: async () => ({ value: 'TOKEN', expiresAt: Date.now() + 7_200_000 }), invalidate: async () => undefined },
    baseUrl: 'http://127.0.0.1:9',
    retry: { attempts: 1 },
  });
  const windows = {
    acquireSend: async () => {
      calls.acquired++;
      return { release: async () => void calls.released++ };
    },
  };
  const ctx = { client, windows, logger: createLogger(), metrics: createMetrics(), now: Date.now } as unknown as AppContext;
  return { ctx, calls };
}

const sendText = getOperation('sendText');
const input = sendText.parse({ touser: 'oUser1', text: { content: 'hi' } });

describe("perform gives the gate's count back only when the send cannot have reached the user", () => {
  it('WeChat answers ok: the count is kept', async () => {
    // Prepare
    const { ctx, calls } = contextWith([json({ errcode: 0, errmsg: 'ok' })]);
    // Act
    await perform(ctx, sendText, input);
    // Assess
    expect(calls).toEqual({ acquired: 1, released: 0, sent: 1 });
  });

  it('WeChat refuses with an errcode (45015): the count is given back once', async () => {
    const { ctx, calls } = contextWith([json({ errcode: 45015, errmsg: 'response out of time limit' })]);
    await expect(perform(ctx, sendText, input)).rejects.toMatchObject({ errcode: 45015 });
    expect(calls).toEqual({ acquired: 1, released: 1, sent: 1 });
  });

  it('the request never left (connection refused): the count is given back', async () => {
    const { ctx, calls } = contextWith([fail('unreached')]);
    await expect(perform(ctx, sendText, input)).rejects.toMatchObject({ status: 503 });
    expect(calls.released).toBe(1);
  });

  it('a timeout after sending: the count is kept (the user may have the message)', async () => {
    const { ctx, calls } = contextWith([fail('timeout')]);
    await expect(perform(ctx, sendText, input)).rejects.toThrow();
    expect(calls).toEqual({ acquired: 1, released: 0, sent: 1 });
  });

  it('a connection broken after sending: the count is kept', async () => {
    const { ctx, calls } = contextWith([fail('network')]);
    await expect(perform(ctx, sendText, input)).rejects.toThrow();
    expect(calls.released).toBe(0);
  });

  it('an operation without a gate takes and gives back nothing', async () => {
    const { ctx, calls } = contextWith([json({ errcode: 45015, errmsg: 'x' })]);
    await expect(perform(ctx, getOperation('listKfAccounts'), {})).rejects.toMatchObject({ errcode: 45015 });
    expect(calls).toEqual({ acquired: 0, released: 0, sent: 1 });
  });
});
