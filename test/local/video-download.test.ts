/**
 * GET /media/{id} of a video through the whole local product, without MEDIA_URL_ALLOW_PRIVATE: WeChat (the
 * sandbox) answers {video_url} on its own http loopback address, a URL WeChat handed out rather than the
 * caller's input, so the product fetches it (docs/media.md, "Downloading").
 */
import { callProduct as call, useLocalProduct } from '../support/local-product';
import { mp4 } from '../support/media-samples';

describe('npm start: downloading a video', () => {
  const saved = process.env.MEDIA_URL_ALLOW_PRIVATE;
  beforeAll(() => {
    delete process.env.MEDIA_URL_ALLOW_PRIVATE;
  });
  afterAll(() => {
    if (saved !== undefined) process.env.MEDIA_URL_ALLOW_PRIVATE = saved;
  });
  const product = useLocalProduct('wechat-kf-video-');

  it('fetches the video_url WeChat answered, on the sandbox http URL, and answers the bytes', async () => {
    // prepare
    const clip = mp4(1500);
    const form = new FormData();
    form.append('type', 'video');
    form.append('media', new Blob([new Uint8Array(clip)], { type: 'video/mp4' }), 'clip.mp4');
    const uploaded = await call(product, 'POST', '/media', form);
    expect(uploaded.status).toBe(200);

    // act
    const file = await call(product, 'GET', `/media/${uploaded.json.media_id}`);

    // assess
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('video/mp4');
    expect(file.bytes.equals(clip)).toBe(true);
  });

  it("answers 502 WECHAT_MEDIA_UNAVAILABLE when WeChat's video_url fails, naming no field of the caller's", async () => {
    // prepare: a video uploaded; WeChat's CDN (the sandbox's /sandbox/media) then answers 404 for it
    const form = new FormData();
    form.append('type', 'video');
    form.append('media', new Blob([new Uint8Array(mp4(900))], { type: 'video/mp4' }), 'gone.mp4');
    const uploaded = await call(product, 'POST', '/media', form);
    product.sandbox!.injectFault({ path: `/sandbox/media/${uploaded.json.media_id}`, kind: 'http', status: 404 });

    // act
    const file = await call(product, 'GET', `/media/${uploaded.json.media_id}`);

    // assess
    expect(file.status).toBe(502);
    expect(file.json.error).toEqual({
      code: 'WECHAT_MEDIA_UNAVAILABLE',
      message: 'the video_url WeChat answered for this media_id could not be fetched: answered HTTP 404',
    });
  });
});
