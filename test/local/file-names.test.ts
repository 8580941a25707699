/**
 * File names in UTF-8 end to end (docs/media.md, "File names"): a multipart upload named in Chinese reaches
 * WeChat (the sandbox) with that name, and a download gives it back in Content-Disposition as RFC 5987's
 * filename* beside an ASCII fallback; never underscores.
 */
import { contentDisposition, filenameFromDisposition } from '../../functions/core/media/filenames';
import { callProduct as call, useLocalProduct } from '../support/local-product';
import { png } from '../support/media-samples';

describe('file names in UTF-8', () => {
  const product = useLocalProduct('wechat-kf-names-');

  it('a multipart upload named 猫咪 照片.png reaches WeChat as 猫咪 照片.png and downloads under that name', async () => {
    // prepare
    const form = new FormData();
    form.append('type', 'image');
    form.append('media', new Blob([new Uint8Array(png(600))], { type: 'image/png' }), '猫咪 照片.png');

    // act
    const uploaded = await call(product, 'POST', '/media', form);
    const held = product.sandbox!.media().find((m) => m.media_id === uploaded.json.media_id);
    const file = await call(product, 'GET', `/media/${uploaded.json.media_id}`);

    // assess
    expect(uploaded.status).toBe(200);
    expect(held?.filename).toBe('猫咪 照片.png');
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe(
      `attachment; filename="__ __.png"; filename*=UTF-8''%E7%8C%AB%E5%92%AA%20%E7%85%A7%E7%89%87.png`,
    );
    expect(filenameFromDisposition(file.headers.get('content-disposition')!)).toBe('猫咪 照片.png');
  });

  it('a photo a user sent with a Chinese name downloads under that name', async () => {
    // prepare
    const push = await product.sandbox!.simulateUser('oNames', { type: 'image', data: png(700), filename: '自拍.png' });

    // act
    const file = await call(product, 'GET', `/media/${push.message.MediaId}`);

    // assess
    expect(filenameFromDisposition(file.headers.get('content-disposition')!)).toBe('自拍.png');
  });

  it('reads and writes the header forms', () => {
    // act + assess
    expect(contentDisposition('photo.jpg')).toBe('attachment; filename="photo.jpg"');
    expect(contentDisposition('a"b\r\n.jpg')).toBe('attachment; filename="a_b__.jpg"');
    expect(filenameFromDisposition(`attachment; filename*=UTF-8''%E4%BD%A0%E5%A5%BD.mp4; filename="__.mp4"`)).toBe('你好.mp4');
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(filenameFromDisposition('attachment; filename=plain.amr')).toBe('plain.amr');
  });
});
