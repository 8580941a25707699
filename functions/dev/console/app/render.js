// How the phone shows a message, by type, the way WeChat draws it: text with its links, an image, a news
// card, a menu with tappable answers, a mini program card, ... Everything from the message goes in as text;
// only http(s) links become links. No image is loaded from outside the console's own origin (it works
// offline): external pictures (news picurl) show as a placeholder with their host name.

import { h } from './dom.js';

/** The URL of a sandbox path such as `/media/{media_id}`, for the chosen account (set by app.js). */
let mediaBase = null;
export function setMediaBase(urlOf) {
  mediaBase = urlOf;
}

function safeHref(href) {
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function hostOf(href) {
  try {
    return new URL(href).host;
  } catch {
    return '';
  }
}

const ATTR = /([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const LINK = /<a\s+([^>]*)>([\s\S]*?)<\/a>/gi;

function decodeEntities(text) {
  return text.replace(/&(lt|gt|amp|quot|#39);/g, (_, e) => ({ lt: '<', gt: '>', amp: '&', quot: '"', '#39': "'" })[e]);
}

/**
 * Text as WeChat shows it: line breaks kept, `<a href>` links tappable, mini program links
 * (`data-miniprogram-appid` / `data-miniprogram-path`) shown as links that name the page they open.
 */
export function richText(content) {
  const out = [];
  let last = 0;
  for (const m of content.matchAll(LINK)) {
    if (m.index > last) out.push(decodeEntities(content.slice(last, m.index)));
    const attrs = {};
    for (const a of m[1].matchAll(ATTR)) attrs[a[1].toLowerCase()] = a[2] ?? a[3] ?? '';
    const label = decodeEntities(m[2].replace(/<[^>]*>/g, ''));
    const appid = attrs['data-miniprogram-appid'];
    const href = attrs.href ? safeHref(attrs.href) : null;
    if (appid) {
      out.push(
        h(
          'a',
          {
            class: 'mp-link',
            href: '#',
            title: `opens mini program ${appid} at ${attrs['data-miniprogram-path'] ?? '/'}`,
            onclick: (e) => e.preventDefault(),
          },
          label,
        ),
      );
    } else if (href) {
      out.push(h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, label));
    } else out.push(decodeEntities(m[0]));
    last = m.index + m[0].length;
  }
  if (last < content.length) out.push(decodeEntities(content.slice(last)));
  return out;
}

function mediaImage(mediaId, alt) {
  const box = h('div', { class: 'media-img' });
  if (mediaBase && mediaId) {
    const img = h('img', { src: mediaBase(`/media/${encodeURIComponent(mediaId)}`), alt, loading: 'lazy' });
    img.addEventListener('error', () => img.replaceWith(placeholder('image', mediaId)));
    box.append(img);
  } else box.append(placeholder('image', mediaId));
  return box;
}

function placeholder(kind, label) {
  return h(
    'div',
    { class: `ph ph-${kind}`, role: 'img', 'aria-label': `${kind} ${label ?? ''}` },
    h('span', { class: 'ph-icon', 'aria-hidden': 'true' }),
    h('span', { class: 'ph-label' }, label ?? ''),
  );
}

function card(kind, ...children) {
  return h('div', { class: `card card-${kind}` }, ...children);
}

/**
 * The bubble content of a message the account sent (custom/send body, or a passive reply normalised to
 * the same shape). `onMenu(item)` is called when the user taps a msgmenu answer.
 */
export function renderAccountMessage(body, { onMenu } = {}) {
  const type = String(body.msgtype);
  const p = body[type] ?? {};
  switch (type) {
    case 'text':
      return h('div', { class: 'bubble text' }, richText(String(p.content ?? '')));
    case 'image':
      return h('div', { class: 'bubble image' }, mediaImage(p.media_id, 'image'));
    case 'voice':
      return h(
        'div',
        { class: 'bubble voice', title: `voice ${p.media_id ?? ''}` },
        h('span', { class: 'voice-wave', 'aria-hidden': 'true' }),
        ' voice message',
      );
    case 'video':
      return card(
        'video',
        h('div', { class: 'video-frame' }, h('span', { class: 'play', 'aria-hidden': 'true' }, '▶')),
        h('div', { class: 'card-title' }, p.title || 'Video'),
        p.description ? h('div', { class: 'card-desc' }, p.description) : null,
      );
    case 'music':
      return card(
        'music',
        h(
          'div',
          { class: 'music-row' },
          h('span', { class: 'music-icon', 'aria-hidden': 'true' }, '♪'),
          h(
            'div',
            null,
            h('div', { class: 'card-title' }, p.title || 'Music'),
            h('div', { class: 'card-desc' }, p.description || hostOf(p.musicurl)),
          ),
        ),
      );
    case 'news': {
      const a = (Array.isArray(p.articles) ? p.articles[0] : undefined) ?? {};
      const href = a.url ? safeHref(a.url) : null;
      const inner = [
        h('div', { class: 'card-title' }, a.title || '(no title)'),
        h(
          'div',
          { class: 'news-body' },
          h('div', { class: 'card-desc' }, a.description || ''),
          h(
            'div',
            { class: 'news-thumb', title: a.picurl ? `picture at ${hostOf(a.picurl)}` : 'no picture' },
            a.picurl ? hostOf(a.picurl) : '',
          ),
        ),
      ];
      return card('news', href ? h('a', { class: 'card-link', href, target: '_blank', rel: 'noopener noreferrer' }, inner) : inner);
    }
    case 'mpnews':
    case 'mpnewsarticle':
      return card(
        'news',
        h('div', { class: 'card-title' }, 'Article of the official account'),
        h('div', { class: 'card-desc' }, type === 'mpnews' ? `media_id ${p.media_id}` : `article_id ${p.article_id}`),
      );
    case 'msgmenu': {
      const items = Array.isArray(p.list) ? p.list : [];
      return h(
        'div',
        { class: 'bubble menu' },
        p.head_content ? h('div', { class: 'menu-head' }, p.head_content) : null,
        h(
          'ul',
          { class: 'menu-list' },
          items.map((item) =>
            h(
              'li',
              null,
              h(
                'button',
                { type: 'button', class: 'menu-answer', onclick: () => onMenu?.(item), title: `answer with menu id ${item.id}` },
                String(item.content),
              ),
            ),
          ),
        ),
        p.tail_content ? h('div', { class: 'menu-tail' }, p.tail_content) : null,
      );
    }
    case 'wxcard':
      return card(
        'wxcard',
        h(
          'div',
          { class: 'coupon' },
          h('span', { class: 'coupon-icon', 'aria-hidden': 'true' }, '%'),
          h(
            'div',
            { class: 'coupon-text' },
            h('div', { class: 'card-title' }, 'Card (coupon)'),
            h('div', { class: 'card-desc' }, p.card_id),
          ),
        ),
      );
    case 'miniprogrampage':
      return card(
        'mp',
        h('div', { class: 'mp-head' }, h('span', { class: 'mp-logo', 'aria-hidden': 'true' }), p.appid),
        h('div', { class: 'card-title' }, p.title),
        mediaImage(p.thumb_media_id, 'mini program thumbnail'),
        h('div', { class: 'mp-foot' }, 'Mini Program · ', p.pagepath),
      );
    default:
      return h('div', { class: 'bubble text' }, `[${type}]`);
  }
}

/**
 * A passive reply (what the callback answered to a push) as a custom/send-shaped body, or a `transfer`
 * marker; undefined when there was no reply. `reply` is the sandbox's reading of it (fields decrypted);
 * without one, a plain XML answer is read here.
 */
export function passiveReply(result) {
  let type = result?.reply?.MsgType;
  let f = result?.reply?.fields;
  if (!type && typeof result?.body === 'string' && result.body.trim().startsWith('<xml')) {
    const doc = new DOMParser().parseFromString(result.body, 'text/xml');
    const get = (name) => doc.querySelector(name)?.textContent ?? undefined;
    type = get('MsgType');
    f = {
      Content: get('Content'),
      MediaId: get('MediaId'),
      KfAccount: get('KfAccount'),
      Title: get('Title'),
      Description: get('Description'),
      Url: get('Url'),
      PicUrl: get('PicUrl'),
    };
  }
  if (!type || !f) return undefined;
  const nested = (k) => (f[k] && typeof f[k] === 'object' ? f[k] : f);
  switch (type) {
    case 'text':
      return { msgtype: 'text', text: { content: String(f.Content ?? '') } };
    case 'image':
      return { msgtype: 'image', image: { media_id: nested('Image').MediaId } };
    case 'voice':
      return { msgtype: 'voice', voice: { media_id: nested('Voice').MediaId } };
    case 'video':
      return { msgtype: 'video', video: { title: nested('Video').Title, description: nested('Video').Description } };
    case 'music':
      return { msgtype: 'music', music: { title: nested('Music').Title, description: nested('Music').Description } };
    case 'news': {
      const item = f.Articles?.item ?? f;
      const first = Array.isArray(item) ? item[0] : item;
      return {
        msgtype: 'news',
        news: { articles: [{ title: first?.Title, description: first?.Description, url: first?.Url, picurl: first?.PicUrl }] },
      };
    }
    case 'transfer_customer_service':
      return { transfer: true, kf_account: nested('TransInfo').KfAccount || undefined };
    default:
      return { msgtype: 'text', text: { content: `[${type}]` } };
  }
}

/** What a user did, as their own bubble or a line in the middle of the chat. */
export function describeAction(action, message) {
  switch (action.type) {
    case 'text':
      return { bubble: h('div', { class: 'bubble text' }, action.content) };
    case 'menuReply':
      return { bubble: h('div', { class: 'bubble text' }, action.content), note: `menu answer ${action.menuId}` };
    case 'image':
      return { bubble: h('div', { class: 'bubble image' }, mediaImage(action.mediaId ?? message?.MediaId, 'your picture')) };
    case 'voice':
      return { bubble: h('div', { class: 'bubble voice' }, h('span', { class: 'voice-wave', 'aria-hidden': 'true' }), ' voice message') };
    case 'location':
      return { bubble: h('div', { class: 'bubble text' }, `Location: ${action.label ?? ''}`) };
    case 'event':
      switch (action.event) {
        case 'subscribe':
          return { system: action.eventKey ? `You followed the account (QR scene ${action.eventKey})` : 'You followed the account' };
        case 'unsubscribe':
          return { system: 'You unfollowed the account' };
        case 'CLICK':
          return { system: `You tapped the menu “${action.eventKey ?? ''}”` };
        case 'VIEW':
          return { system: `You opened the menu link ${action.eventKey ?? ''}` };
        case 'SCAN':
          return { system: `You scanned QR code ${action.eventKey ?? ''}` };
        default:
          return { system: `Event ${action.event}${action.eventKey ? ` (${action.eventKey})` : ''}` };
      }
    default:
      return { system: `[${action.type}]` };
  }
}
