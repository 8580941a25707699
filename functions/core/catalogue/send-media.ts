/**
 * The media steps of every send (docs/media.md): `prepare` turns a message's `{url}` / `{file}` media into
 * media_ids before the send gate, and `recover` uploads again, ONCE, media whose cached media_id WeChat
 * refused with 40007, so the send can be tried once more under the same gate count.
 *
 * Why 40007 after a cache hit: WeChat keeps a temporary media_id for 3 days but may drop it earlier, and a
 * cache entry written with a wrong created_at outlives it. The cache cannot know; WeChat's refusal is the
 * only sign. Timeline of one send:
 * ```
 *  prepare: cache hit  M1 (uploaded two days ago)     ─▶ gate: one send of the window reserved
 *  WeChat:  custom/send with M1  ─▶ 40007 (WeChat answered: the user got nothing)
 *  recover: forget M1 (only if still cached) ─▶ upload the same bytes ─▶ M2 cached
 *  WeChat:  custom/send with M2  ─▶ ok              (the same reserved send: nothing more counted)
 * ```
 * A media_id uploaded just now is never re-uploaded (WeChat refusing a fresh one will refuse it again),
 * and a second 40007 is the send's answer.
 */
import { mediaSourcesOf } from '../media/sources';
import { MediaUploader, type CheckedFile } from '../media/uploader';
import type { SendMessageInput } from './messages';
import type { OperationServices } from './types';

/** WeChat's errcode for a media_id it does not know (never issued, expired, or the wrong kind). */
export const INVALID_MEDIA_ID_ERRCODE = 40007;

/** The media of a prepared send that came from the cache: what `recover` may upload again. */
const CACHED_MEDIA = new WeakMap<object, ReadonlyArray<{ field: string; file: CheckedFile; mediaId: string }>>();

function uploaderOf(services: OperationServices): MediaUploader {
  return new MediaUploader({ client: services.wechat, cache: services.mediaCache, fetchUrl: services.fetchUrl, now: services.now });
}

/**
 * The `prepare` of every send: a message whose media_id / thumb_media_id is `{url}` or `{file}` gets each
 * fetched, checked by its bytes and uploaded (thumb for video and music thumbnails, image for a
 * mini-program card's picture), through the media cache, before the send gate.
 *
 * @example
 * ```ts
 * const ready = await prepareSendMedia(op.parse({ touser, image: { media_id: { url } } }), services);
 * ready.image; // { media_id: 'MEDIA_ID' }
 * ```
 */
export async function prepareSendMedia(input: SendMessageInput, services: OperationServices): Promise<SendMessageInput> {
  const content = input[input.msgtype] as Record<string, unknown> | undefined;
  if (mediaSourcesOf(input.msgtype, content).length === 0) return input;
  const uploader = uploaderOf(services);
  const { content: uploaded, uploads } = await uploader.uploadAll(await uploader.prepare(input.msgtype, content ?? {}));
  const ready: SendMessageInput = { ...input, [input.msgtype]: uploaded };
  const cached = uploads.filter((u) => u.media.cached).map((u) => ({ field: u.field, file: u.file, mediaId: u.media.media_id }));
  if (cached.length > 0) CACHED_MEDIA.set(ready, cached);
  return ready;
}

/**
 * The `recover` of every send: after WeChat answered 40007 to a send whose media came from the cache,
 * those files are uploaded again and the send is given back with the new media_ids, to be tried once
 * more. Anything else: undefined (the refusal stands).
 */
export async function recoverSendMedia(
  error: unknown,
  input: SendMessageInput,
  services: OperationServices,
): Promise<SendMessageInput | undefined> {
  // Any error carrying WeChat's errcode (the core client's WeChatApiError, or a surface's own).
  if ((error as { errcode?: unknown } | undefined)?.errcode !== INVALID_MEDIA_ID_ERRCODE) return undefined;
  const stale = CACHED_MEDIA.get(input);
  if (!stale || stale.length === 0) return undefined;
  const content = (input[input.msgtype] ?? {}) as Record<string, unknown>;
  // The retried input has no cached media left to recover: a second 40007 is the answer.
  return { ...input, [input.msgtype]: await uploaderOf(services).reupload(content, stale) };
}
