/**
 * Media through the whole local product (`startLocal`: the sandbox, the embedded DynamoDB, the callback):
 * what users send arrives with its mediaId.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/local/server';
import { amr, png } from '../support/media-samples';

describe('npm start: media', () => {
  let dataDir: string;
  let product: LocalProduct;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-media-'));
    product = await startLocal({ port: 0, dataDir, env: { MEDIA_URL_ALLOW_PRIVATE: 'true' } });
  });
  afterAll(async () => {
    await product?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes a photo a user sends with its mediaId, which the sandbox serves', async () => {
    // prepare
    const photo = png(2000);
    const form = new FormData();
    form.append('media', new Blob([new Uint8Array(photo)], { type: 'image/png' }), 'holiday.png');

    // act
    const res = await fetch(`${product.sandbox!.url}/sandbox/users/oPhoto/messages`, { method: 'POST', body: form });
    const push = (await res.json()) as { delivered: boolean; message: { MediaId: string } };
    const event = product.events.events.find((e) => e.detailType === 'message.image' && e.detail.openid === 'oPhoto');

    // assess
    expect(push.delivered).toBe(true);
    expect(event?.detail).toMatchObject({ openid: 'oPhoto', mediaId: push.message.MediaId, message: { MsgType: 'image', MediaId: push.message.MediaId } });
    expect(product.sandbox!.media()).toEqual([expect.objectContaining({ media_id: push.message.MediaId, type: 'image', size: photo.length, origin: 'user' })]);
  });

  it('publishes a voice note with its mediaId and Format', async () => {
    // act
    const res = await fetch(`${product.sandbox!.url}/sandbox/users/oVoice/messages`, { method: 'POST', headers: { 'content-type': 'audio/amr' }, body: new Uint8Array(amr(2)) });
    const push = (await res.json()) as { message: { MediaId: string } };
    const event = product.events.events.find((e) => e.detailType === 'message.voice' && e.detail.openid === 'oVoice');

    // assess
    expect(event?.detail).toMatchObject({ mediaId: push.message.MediaId, message: { Format: 'amr' } });
  });
});
