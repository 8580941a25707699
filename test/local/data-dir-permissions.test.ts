/**
 * DATA_DIR on disk: the folder 0700 and every file in it 0600 (the embedded DynamoDB's LevelDB files,
 * which hold the live access token, the webhook key, the sandbox's state), while `npm start` runs and after;
 * a folder left 0755 / 0644 by an earlier version is made private at the next start (functions/dev/local/private-data.ts).
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { callProduct as call } from '../support/local-product';

/** Every path under `dir` with its permission bits, as `relative path → octal`, folders ending in `/`. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { './': (statSync(dir).mode & 0o777).toString(8) };
  const walk = (d: string, prefix: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const rel = `${prefix}${entry.name}${entry.isDirectory() ? '/' : ''}`;
      out[rel] = (statSync(join(d, entry.name)).mode & 0o777).toString(8);
      if (entry.isDirectory()) walk(join(d, entry.name), rel);
    }
  };
  walk(dir, '');
  return out;
}

/** The paths that are not private: a folder not 0700, a file not 0600. */
const notPrivate = (all: Record<string, string>) =>
  Object.entries(all).filter(([rel, mode]) => mode !== (rel.endsWith('/') ? '700' : '600'));

describe('DATA_DIR permissions', () => {
  let parent: string;
  let product: LocalProduct | undefined;
  const savedUmask = process.umask();

  beforeAll(() => {
    parent = mkdtempSync(join(tmpdir(), 'wechat-kf-perm-'));
    // What a user's shell usually has: files 0644, folders 0755.
    process.umask(0o022);
  });
  afterAll(async () => {
    await product?.stop();
    process.umask(savedUmask);
    rmSync(parent, { recursive: true, force: true });
  });

  it("creates DATA_DIR 0700 and keeps every file in it 0600, the embedded DynamoDB's included, while running and after", async () => {
    // prepare
    const dataDir = join(parent, 'fresh');
    product = await startLocal({ port: 0, dataDir, env: {} });
    await product.sandbox!.simulateUser('oPerm', { type: 'text', content: 'hi' });

    // act: a send makes the product fetch and store an access token and write records
    expect((await call(product, 'POST', '/messages/text', { touser: 'oPerm', text: { content: 'hello' } })).status).toBe(200);
    const running = modes(dataDir);
    await product.stop();
    product = undefined;
    const stopped = modes(dataDir);

    // assess
    expect(Object.keys(running)).toEqual(expect.arrayContaining(['./', 'dynamodb/', 'webhook-secret.key']));
    expect(Object.keys(running).filter((p) => p.startsWith('dynamodb/')).length).toBeGreaterThan(2);
    expect(notPrivate(running)).toEqual([]);
    expect(notPrivate(stopped)).toEqual([]);
    expect(process.umask()).toBe(0o022);
  });

  it('makes a DATA_DIR left 0755 with 0644 files private at the next start', async () => {
    // prepare
    const dataDir = join(parent, 'old');
    mkdirSync(join(dataDir, 'dynamodb'), { recursive: true, mode: 0o755 });
    writeFileSync(join(dataDir, 'dynamodb', 'left-over.log'), 'x', { mode: 0o644 });
    chmodSync(dataDir, 0o755);

    // act
    product = await startLocal({ port: 0, dataDir, env: {} });
    const running = modes(dataDir);

    // assess
    expect(running['dynamodb/left-over.log']).toBe('600');
    expect(notPrivate(running)).toEqual([]);
  });
});
