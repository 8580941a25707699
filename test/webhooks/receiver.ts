/**
 * A webhook receiver for the tests: an HTTP server on 127.0.0.1 that records every delivery (headers and
 * raw body) and answers the statuses it is told to, in order (then 200).
 */
import { createServer, type IncomingHttpHeaders } from 'http';
import type { AddressInfo } from 'net';

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  status: number;
}

export async function startReceiver() {
  const received: ReceivedDelivery[] = [];
  const answers: number[] = [];
  let hangMs = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = answers.shift() ?? 200;
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      received.push({ headers: req.headers, body, json, status });
      const answer = () => res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
      if (hangMs) setTimeout(answer, hangMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    /** The next answers' statuses, in order. */
    answerWith: (...statuses: number[]) => answers.push(...statuses),
    /** Answers only after `ms` (a timeout for the sender). */
    hang: (ms: number) => {
      hangMs = ms;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Waits until `probe` is truthy, polling every 50 ms, at most `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
