/**
 * The media cache: which temporary media_id WeChat gave for a file, so the same bytes sent again are not
 * uploaded again. Keyed by the file's SHA-256 and its media type (the same JPEG uploaded as `image` and as
 * `thumb` gets two media_ids). WeChat keeps a temporary media_id for 3 days; the cache hands one out only
 * until {@link MEDIA_REUSE_MARGIN_MS} before that, so a send that takes it still reaches WeChat in time.
 *
 * Item: `pk = MEDIA#<appId>#<type>#<sha256>`, `sk = MEDIA`; `mediaId` S, `createdAt` N ms (WeChat's
 * created_at), `reuseUntil` N ms, `expiresAt` (WeChat's expiry + 1 day, for TTL).
 *
 * Concurrency, as a timeline (single-item conditional writes only):
 * ```
 *  A: get → miss            B: get → miss
 *  A: upload → id1 (t1)     B: upload → id2 (t2 ≥ t1)
 *  A: put id1 IF absent OR createdAt < t1 OR reuseUntil <= now   → written
 *  B: put id2 IF absent OR createdAt < t2 OR reuseUntil <= now   → written (t2 > t1) or refused (t2 = t1)
 * ```
 * Both sends use their own, valid, media_id; afterwards one of them is cached. A slow writer with an older
 * upload never replaces a newer one. `forget(…, id)` deletes only if the item still holds `id`, so it never
 * removes a fresh upload another caller just cached.
 *
 * @example
 * ```ts
 * const cache = new MediaCache({ client, tableName: 'wechat-kf', appId: 'wx123' });
 * const hit = await cache.get('image', sha256);
 * if (!hit) await cache.put('image', sha256, { mediaId, createdAt });
 * ```
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  epochSeconds,
  isConditionalCheckFailed,
  marshallKey,
  n,
  names,
  numberAttr,
  s,
  stringAttr,
  TABLE_PARTITION_KEY,
  TABLE_TTL_ATTRIBUTE,
  type TableKey,
} from './table';
import { TableStore, type TableStoreOptions } from './table-store';

/** How long WeChat keeps a temporary media_id: 3 days. */
export const MEDIA_LIFETIME_MS = 3 * 24 * 3600 * 1000;
/** How long before WeChat's expiry the cache stops handing a media_id out: 1 hour. */
export const MEDIA_REUSE_MARGIN_MS = 3600 * 1000;

/** A cached upload. */
export interface CachedMedia {
  mediaId: string;
  /** When WeChat created it (ms). */
  createdAt: number;
  /** When WeChat forgets it (ms): createdAt + 3 days. */
  expiresAt: number;
}

export interface MediaCacheOptions extends TableStoreOptions {
  /** Keeps the media of several official accounts apart. Default `''`. */
  appId?: string;
}

/** The key of a file's item. */
export function mediaKey(appId: string, type: string, sha256: string): TableKey {
  return { pk: `MEDIA#${appId}#${type}#${sha256}`, sk: 'MEDIA' };
}

/**
 * Remembers media_ids by content, for reuse within their 3 days.
 *
 * @example
 * ```ts
 * await cache.put('voice', digest, { mediaId: 'MEDIA_ID', createdAt: Date.now() });
 * (await cache.get('voice', digest))?.mediaId; // 'MEDIA_ID'
 * ```
 */
export class MediaCache extends TableStore {
  private readonly appId: string;

  constructor(options: MediaCacheOptions) {
    super(options);
    this.appId = options.appId ?? '';
  }

  /** The cached media_id of a file, while it may still be used; undefined otherwise. */
  async get(type: string, sha256: string): Promise<CachedMedia | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshallKey(mediaKey(this.appId, type, sha256)), ConsistentRead: true }),
    );
    const mediaId = stringAttr(Item, 'mediaId');
    const createdAt = numberAttr(Item, 'createdAt');
    const reuseUntil = numberAttr(Item, 'reuseUntil');
    if (mediaId === undefined || createdAt === undefined || reuseUntil === undefined || reuseUntil <= this.now()) return undefined;
    return { mediaId, createdAt, expiresAt: createdAt + MEDIA_LIFETIME_MS };
  }

  /**
   * Caches an upload, unless a newer one is cached already (see the module comment's timeline).
   *
   * @returns whether it was written.
   */
  async put(type: string, sha256: string, media: { mediaId: string; createdAt: number }): Promise<boolean> {
    const now = this.now();
    const expiresAt = media.createdAt + MEDIA_LIFETIME_MS;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...marshallKey(mediaKey(this.appId, type, sha256)),
            mediaId: s(media.mediaId),
            createdAt: n(media.createdAt),
            reuseUntil: n(expiresAt - MEDIA_REUSE_MARGIN_MS),
            [TABLE_TTL_ATTRIBUTE]: n(epochSeconds(expiresAt + 24 * 3600 * 1000)),
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #createdAt < :createdAt OR #reuseUntil <= :now',
          ExpressionAttributeNames: names(TABLE_PARTITION_KEY, 'createdAt', 'reuseUntil'),
          ExpressionAttributeValues: { ':createdAt': n(media.createdAt), ':now': n(now) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Forgets a cached media_id WeChat no longer knows (40007), only if the item still holds that one.
   *
   * @returns whether it was deleted.
   */
  async forget(type: string, sha256: string, mediaId: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshallKey(mediaKey(this.appId, type, sha256)),
          ConditionExpression: '#mediaId = :mediaId',
          ExpressionAttributeNames: names('mediaId'),
          ExpressionAttributeValues: { ':mediaId': s(mediaId) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
