/**
 * Shared by the store tests: an embedded DynamoDB (dynalite, in memory, on a free port) with a fresh table
 * per test, a fake clock, and a tiny WeChat token server over HTTP.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

export { fakeClock, startTestDynamo, useTestTable, type FakeClock, type TestDynamo } from '../support/dynamo';

/** One request the token server received. */
export interface TokenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}

/**
 * A stand-in for WeChat's two token endpoints: every fetch issues a new token `token-N`, answers
 * `expires_in: 7200`, and is recorded. `hold(n)` makes the next n requests hang until released;
 * `failWith(errcode)` answers the next request with an errcode.
 */
export async function startTokenServer() {
  const requests: TokenRequest[] = [];
  let issued = 0;
  let holding = 0;
  const held: Array<() => void> = [];
  let failNext: number | undefined;

  const answer = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const request = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const respond = () => {
        if (failNext !== undefined) {
          const errcode = failNext;
          failNext = undefined;
          return answer(res, { errcode, errmsg: 'invalid appsecret' });
        }
        if (url.pathname !== '/cgi-bin/stable_token' && url.pathname !== '/cgi-bin/token') {
          res.writeHead(404).end();
          return;
        }
        issued += 1;
        answer(res, { access_token: `token-${issued}`, expires_in: 7200 });
      };
      if (holding > 0) {
        holding -= 1;
        held.push(respond);
      } else respond();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    /** How many requests reached a path. */
    count: (path: string) => requests.filter((r) => r.path === path).length,
    /** The next `count` requests hang until `release()`. */
    hold(count = 1) {
      holding = count;
    },
    /** Answers the held requests. */
    release() {
      holding = 0;
      held.splice(0).forEach((respond) => respond());
    },
    /** How many requests are hanging. */
    heldCount: () => held.length,
    failWith(errcode: number) {
      failNext = errcode;
    },
    async stop() {
      holding = 0;
      held.splice(0).forEach((respond) => respond());
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
