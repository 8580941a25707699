/**
 * What the callback's tests share (test/core/callback/*.test.ts): WeChat's official worked example, a
 * token and key that look real (to check they never leak), and helpers that craft raw AES payloads.
 */
import { createCipheriv, createDecipheriv } from 'crypto';

/** The official worked example (docs/wechat-reference.md). */
export const OFFICIAL = {
  token: 'AAAAA',
  encodingAesKey: 'A'.repeat(43),
  appId: 'wxba5fad812f8e6fb9',
  get: {
    signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696',
    echostr: '4375120948345356249',
    timestamp: '1714036504',
    nonce: '1514711492',
  },
  post: {
    query: {
      signature: '6c5c811b55cc85e0e1b54100749188c20beb3f5d',
      timestamp: '1714112445',
      nonce: '415670741',
      openid: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
      encrypt_type: 'aes',
      msg_signature: '046e02f8204d34f8ba5fa3b1db94908f3df2e9b3',
    },
    body: '{"ToUserName":"gh_97417a04a28d","Encrypt":"+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04="}',
    decrypted:
      '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}',
    nowMs: 1714112445 * 1000,
  },
};

/** A token and key that look like real ones, to check they never leak into errors. */
export const SECRET_TOKEN = 'Tk9xQ7mZp2Lw';
export const SECRET_KEY = 'q8Vd3nR7tYx2Kc5Lm9Pz4Hb6Wf1Js0Ga8Ue3Oi7Nk2E';
export const APP_ID = 'wx1234567890abcdef';
export const NOW_S = 1714112445;
export const NOW_MS = NOW_S * 1000;

/** 2^53 + something: a MsgId that a JS number would round. */
export const BIG_MSG_ID = '7345321878935987209';

export function textMessage(overrides: Record<string, string | number | bigint> = {}) {
  return {
    ToUserName: 'gh_97417a04a28d',
    FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
    CreateTime: NOW_S,
    MsgType: 'text',
    Content: 'hello',
    MsgId: BIG_MSG_ID,
    ...overrides,
  };
}

/** Catches what `fn` throws. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** AES-256-CBC over a buffer already padded, with WeChat's key and IV: for crafting bad paddings. */
export function rawEncrypt(encodingAesKey: string, plain: Buffer): string {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

export function rawDecrypt(encodingAesKey: string, encrypt: string): Buffer {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
}

/** A WeChat-shaped plaintext (random, length, message, appid) with the given padding bytes. */
export function plaintextWithPadding(message: string, appId: string, padding: Buffer): Buffer {
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([Buffer.alloc(16, 7), length, body, Buffer.from(appId), padding]);
}
