/**
 * API Gateway's IAM authorizer, in front of the local server: it recomputes every request's SigV4
 * signature with the AWS SDK's own signer (@smithy/signature-v4) and refuses (403) any that does not
 * match, then forwards it. So the node's requests are signed exactly as API Gateway checks them.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';

/** The keys the gateway credential of the tests signs with (AWS's documentation example). */
export const GATEWAY_KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
export const GATEWAY_REGION = 'eu-west-1';
const KEYS = GATEWAY_KEYS;
const REGION = GATEWAY_REGION;

export interface Authorizer {
  url: string;
  verified: number;
  refused: string[];
  stop(): Promise<void>;
}

/** API Gateway's IAM check, in front of the local server: verify SigV4, then forward. */
export async function startIamAuthorizer(target: string): Promise<Authorizer> {
  const signer = new SignatureV4({ service: 'execute-api', region: REGION, credentials: KEYS, sha256: Sha256 });
  const state: Authorizer = { url: '', verified: 0, refused: [], stop: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const auth = String(req.headers.authorization ?? '');
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
      const amzDate = String(req.headers['x-amz-date'] ?? '');
      const url = new URL(req.url ?? '/', 'http://placeholder');
      const headers: Record<string, string> = {};
      for (const name of signedHeaders) headers[name] = String(req.headers[name] ?? '');
      const query: Record<string, string> = {};
      url.searchParams.forEach((v, k) => (query[k] = v));
      const date = new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
      );
      const expected = await signer.sign(
        {
          method: req.method ?? 'GET',
          protocol: 'http:',
          hostname: headers.host?.split(':')[0] ?? '',
          port: Number(headers.host?.split(':')[1]) || undefined,
          path: url.pathname,
          query,
          headers,
          body: body.length ? body : undefined,
        },
        { signingDate: date },
      );
      if (!auth || expected.headers.authorization !== auth) {
        state.refused.push(`${req.method} ${req.url}`);
        res
          .writeHead(403, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: 'The request signature we calculated does not match the signature you provided.' }));
        return;
      }
      state.verified++;
      const forwarded = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers: { 'content-type': String(req.headers['content-type'] ?? '') },
        body: body.length ? body : undefined,
      });
      // API Gateway passes the function's headers through: the content type, and a file's name.
      const disposition = forwarded.headers.get('content-disposition');
      res
        .writeHead(forwarded.status, {
          'content-type': forwarded.headers.get('content-type') ?? 'application/json',
          ...(disposition ? { 'content-disposition': disposition } : {}),
        })
        .end(Buffer.from(await forwarded.arrayBuffer()));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}
