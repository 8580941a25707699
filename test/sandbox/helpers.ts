/**
 * Test helpers for the sandbox: a settable clock, small WeChat API callers over real HTTP, a JPEG and a
 * multipart body, a callback receiver on node:http, and an independent safe-mode decrypt (written here
 * from the reference, not taken from the sandbox, so the two check each other).
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sandbox } from '../../functions/dev/sandbox';

export { Clock, sandboxWithClock, START, useSandbox } from '../support/sandbox';
export const SECOND = 1000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export type Json = Record<string, any>;

export async function getJson(url: string): Promise<Json> {
  const res = await fetch(url);
  return (await res.json()) as Json;
}

export async function postJson(url: string, body: unknown): Promise<Json> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return (await res.json()) as Json;
}

export function classicTokenUrl(s: Sandbox, appid = s.appId, secret = s.appSecret): string {
  return `${s.url}/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(appid)}&secret=${encodeURIComponent(secret)}`;
}

export async function classicToken(s: Sandbox): Promise<string> {
  const answer = await getJson(classicTokenUrl(s));
  if (typeof answer.access_token !== 'string') throw new Error(`no token: ${JSON.stringify(answer)}`);
  return answer.access_token;
}

export async function stableToken(s: Sandbox, forceRefresh = false): Promise<Json> {
  return postJson(`${s.url}/cgi-bin/stable_token`, {
    grant_type: 'client_credential',
    appid: s.appId,
    secret: s.appSecret,
    force_refresh: forceRefresh,
  });
}

/** POSTs JSON to an API path with a token. */
export async function call(s: Sandbox, token: string, path: string, body: unknown): Promise<Json> {
  return postJson(`${s.url}${path}?access_token=${token}`, body);
}

export async function send(s: Sandbox, token: string, body: unknown): Promise<Json> {
  return call(s, token, '/cgi-bin/message/custom/send', body);
}

export async function sendText(s: Sandbox, token: string, touser: string, content = 'hello'): Promise<Json> {
  return send(s, token, { touser, msgtype: 'text', text: { content } });
}

export async function typing(s: Sandbox, token: string, touser: string, command: string): Promise<Json> {
  return call(s, token, '/cgi-bin/message/custom/typing', { touser, command });
}

/** The smallest thing that starts like a JPEG (FF D8 FF). */
export function jpeg(size = 64): Buffer {
  const b = Buffer.alloc(size, 0x11);
  b[0] = 0xff;
  b[1] = 0xd8;
  b[2] = 0xff;
  b[3] = 0xe0;
  return b;
}

/** A multipart/form-data body with one file part. */
export function multipart(field: string, filename: string, contentType: string, data: Buffer): { body: Buffer; contentType: string } {
  const boundary = '----sandboxtest1234';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
    ),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

export function sha1Sorted(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** Decrypts a safe-mode Encrypt value: AES-256-CBC, IV = key[0..16], 32-byte PKCS#7. */
export function decrypt(encodingAesKey: string, encrypted: string): { message: string; appId: string; padded: number } {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const data = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
  const pad = data[data.length - 1] as number;
  const plain = data.subarray(0, data.length - pad);
  const length = plain.readUInt32BE(16);
  return {
    message: plain.subarray(20, 20 + length).toString('utf8'),
    appId: plain.subarray(20 + length).toString('utf8'),
    padded: data.length,
  };
}

/** A request the receiver got. */
export interface Received {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A small callback server: records requests, answers as `respond` says. */
export async function startReceiver(
  respond: (r: Received, n: number, res: ServerResponse) => void = (_r, _n, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('success');
  },
): Promise<{ url: string; received: Received[]; stop: () => Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://receiver'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      respond(r, received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/wechat/callback`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Uploads temporary media through cgi-bin/media/upload. */
export async function uploadMedia(
  s: Sandbox,
  token: string,
  type: string,
  data: Buffer,
  filename = `file.${type === 'voice' ? 'amr' : type === 'video' ? 'mp4' : 'jpg'}`,
  contentType = 'application/octet-stream',
): Promise<Json> {
  const { body, contentType: ct } = multipart('media', filename, contentType, data);
  const res = await fetch(`${s.url}/cgi-bin/media/upload?access_token=${token}&type=${encodeURIComponent(type)}`, {
    method: 'POST',
    headers: { 'content-type': ct },
    body: new Uint8Array(body),
  });
  return (await res.json()) as Json;
}
