/**
 * Media in Gateway mode: the built node sends files (multipart) and URLs to the product's API (the local
 * server behind a SigV4-checking stand-in for API Gateway), which checks, uploads and sends them; Media →
 * Download is GET /media/{media_id}. Build first: `npm run build --workspace n8n-nodes`.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { createHarness } from './harness';
import { GATEWAY_KEYS, GATEWAY_REGION, startIamAuthorizer, type Authorizer } from './iam-authorizer';
import { describeMediaCases, FILES, startFileServer, type MediaMode } from './media-cases';

const CRED = { weChatKfGatewayApi: { id: 'gw', name: 'Gateway' } };

let dataDir: string;
let product: LocalProduct;
let authorizer: Authorizer;
let harness: ReturnType<typeof createHarness>;
let files: Awaited<ReturnType<typeof startFileServer>>;
const saved = process.env.MEDIA_URL_ALLOW_PRIVATE;

beforeAll(async () => {
  // The file server is on loopback: the product fetches from it only with MEDIA_URL_ALLOW_PRIVATE=true.
  process.env.MEDIA_URL_ALLOW_PRIVATE = 'true';
  files = await startFileServer({
    '/made.jpg': FILES.image,
    '/note.amr': FILES.voice,
    '/clip.mp4': FILES.video,
    '/thumb.jpg': FILES.thumb,
    '/card.png': FILES.card,
  });
  dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-n8n-media-gw-'));
  product = await startLocal({ port: 0, dataDir, env: {} });
  authorizer = await startIamAuthorizer(product.url);
  harness = createHarness({
    credentials: {
      gw: { type: 'weChatKfGatewayApi', data: { url: authorizer.url, region: GATEWAY_REGION, ...GATEWAY_KEYS, sessionToken: '' } },
    },
  });
});

afterAll(async () => {
  await authorizer?.stop();
  await product?.stop();
  await files?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (saved === undefined) delete process.env.MEDIA_URL_ALLOW_PRIVATE;
  else process.env.MEDIA_URL_ALLOW_PRIVATE = saved;
});

const gateway: MediaMode = {
  mode: 'gateway',
  sandbox: () => product.sandbox!,
  run: (parameters, items) => harness.run({ authentication: 'gateway', ...parameters }, items, CRED),
};

describe('n8n media, Gateway mode (through the product)', () => {
  describeMediaCases(
    () => gateway,
    () => files.url,
  );

  it('signs every multipart body as API Gateway checks it', () => {
    expect(authorizer.refused).toEqual([]);
    expect(authorizer.verified).toBeGreaterThan(0);
  });
});
