/**
 * Passive replies and accounts without the customer-service API, as WeChat has them
 * (docs/wechat-reference.md, "Passive replies and handing a user to a human"):
 * - a passive reply of a type WeChat shows (text, image, voice, video, music, news with one article)
 *   reaches the user like any message: {@link passiveMessage} gives it custom/send's shape, so that
 *   `GET /sandbox/messages` lists it (with `channel: 'passive'`); the console's phone draws it from the
 *   push's result;
 * - personal-subject and unverified accounts have no customer-service API: every call of it answers
 *   48001 ({@link refusesCustomerServiceApi}), switched with `PUT /sandbox/account {"customerServiceApi"}`
 *   or the `customerServiceApi: false` option.
 *
 * @example
 * ```ts
 * passiveMessage({ MsgType: 'text', Content: 'Hi' }); // { msgtype: 'text', body: { msgtype: 'text', text: { content: 'Hi' } } }
 * ```
 */

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * A passive reply (its fields, as readReply read them) in custom/send's shape, or undefined for a reply
 * that is no message (transfer_customer_service) or that WeChat would not show (a news with no article,
 * a text with no content, media without a MediaId).
 */
export function passiveMessage(fields: Record<string, unknown>): { msgtype: string; body: Record<string, unknown> } | undefined {
  const msgtype = str(fields.MsgType);
  const wrap = (content: Record<string, unknown>) => ({
    msgtype: msgtype as string,
    body: { touser: str(fields.ToUserName), msgtype, [msgtype as string]: defined(content) },
  });
  switch (msgtype) {
    case 'text':
      return str(fields.Content) ? wrap({ content: str(fields.Content) }) : undefined;
    case 'image':
    case 'voice': {
      const mediaId = str(obj(fields[msgtype === 'image' ? 'Image' : 'Voice']).MediaId);
      return mediaId ? wrap({ media_id: mediaId }) : undefined;
    }
    case 'video': {
      const v = obj(fields.Video);
      return str(v.MediaId) ? wrap({ media_id: str(v.MediaId), title: str(v.Title), description: str(v.Description) }) : undefined;
    }
    case 'music': {
      const m = obj(fields.Music);
      return wrap({
        title: str(m.Title),
        description: str(m.Description),
        musicurl: str(m.MusicUrl),
        hqmusicurl: str(m.HQMusicUrl),
        thumb_media_id: str(m.ThumbMediaId),
      });
    }
    case 'news': {
      const item = obj(obj(fields.Articles).item);
      if (Object.keys(item).length === 0) return undefined;
      return wrap({
        articles: [defined({ title: str(item.Title), description: str(item.Description), url: str(item.Url), picurl: str(item.PicUrl) })],
      });
    }
    default:
      return undefined;
  }
}

/** Whether an API path belongs to the customer-service API (messages, typing, kf accounts and sessions). */
export function isCustomerServiceApi(path: string): boolean {
  return path.startsWith('/cgi-bin/message/custom/') || path.startsWith('/customservice/') || path.startsWith('/cgi-bin/customservice/');
}
