/**
 * A stand-in for the deployed API that records every request (method, path, query, JSON body) and
 * answers as the multi-account contract says (the lead's brief, "The contract of multi-account"):
 * `GET /accounts` (three accounts, the default first), webhook subscriptions kept in memory (created with
 * a secret `whsec_<id>`, listed, got, deleted), a kf account list per account, a small JPEG for any
 * `GET …/media/{id}`, and `{errcode: 0}` for anything else. For tests of what the n8n nodes send
 * (test/n8n/accounts-gateway.test.ts, test/n8n-e2e/accounts.e2e.test.ts).
 */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { IDataObject } from 'n8n-workflow';

/** The second account of the stand-in (the first is the default, wxdefault000000001). */
export const APP_B = 'wxb0b0b0b0b0b0b0b0';

export interface Recorded {
  method: string;
  path: string;
  query: string;
  body: unknown;
}

/** Starts the stand-in on a free port of 127.0.0.1. */
export function startGatewayRecorder(): Promise<{
  url: string;
  requests: Recorded[];
  subscriptions: Map<string, IDataObject>;
  server: Server;
}> {
  const requests: Recorded[] = [];
  const subscriptions = new Map<string, IDataObject>();
  let seq = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://placeholder');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      requests.push({ method: req.method ?? '', path: url.pathname, query: url.search, body });
      const send = (status: number, json: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      const sub = /^\/subscriptions\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && url.pathname === '/accounts') {
        return send(200, {
          accounts: [
            { appId: 'wxdefault000000001', name: 'Main', default: true },
            { appId: APP_B, name: 'Shop B', default: false },
            { appId: 'wxc0c0c0c0c0c0c0c0', default: false },
          ],
        });
      }
      if (req.method === 'GET' && url.pathname === '/subscriptions') return send(200, { subscriptions: [...subscriptions.values()] });
      if (req.method === 'POST' && url.pathname === '/subscriptions') {
        const id = `sub_${String(++seq).padStart(20, '0')}`;
        const created = { id, ...(body as IDataObject) };
        subscriptions.set(id, created);
        return send(201, { ...created, secret: `whsec_${id}` });
      }
      if (sub && req.method === 'GET') return subscriptions.has(sub[1]!) ? send(200, subscriptions.get(sub[1]!)) : send(404, {});
      if (sub && req.method === 'DELETE') {
        subscriptions.delete(sub[1]!);
        return send(200, { id: sub[1], deleted: true });
      }
      if (req.method === 'GET' && /\/media\/[^/]+$/.test(url.pathname)) {
        return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
      }
      if (url.pathname.endsWith('/kf-accounts')) {
        const b = url.pathname.startsWith(`/accounts/${APP_B}/`);
        return send(200, { kf_list: [{ kf_account: b ? 'kf1@shopb' : 'kf1@main', kf_nick: b ? 'Bea' : 'Max' }] });
      }
      return send(200, { errcode: 0, errmsg: 'ok', msgid: 1 });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, subscriptions, server }),
    ),
  );
}
