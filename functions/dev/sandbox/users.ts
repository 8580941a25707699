/**
 * User management endpoints, beyond customer service: what the passthrough (`callApi`) is tested against,
 * answered with the shapes of WeChat's current user-management pages (docs/wechat-user-management.md).
 *
 * | endpoint | answer |
 * | --- | --- |
 * | GET /cgi-bin/user/info?openid=&lang= | {subscribe, openid, language, subscribe_time, remark, groupid, tagid_list, subscribe_scene, qr_scene, qr_scene_str}; {subscribe: 0, openid} for a user who unfollowed |
 * | GET /cgi-bin/user/get?next_openid= | {total, count, data: {openid: [...]}, next_openid} (10 000 a page) |
 * | GET /cgi-bin/tags/get | {tags: [{id, name, count}]} (tag 2 "星标组" always exists) |
 * | POST /cgi-bin/tags/create {tag: {name}} | {tag: {id, name}} |
 * | POST /cgi-bin/tags/members/batchtagging {openid_list, tagid} | {errcode: 0, errmsg: "ok"} |
 * | POST /cgi-bin/tags/getidlist {openid} | {tagid_list} |
 *
 * The users are the sandbox's simulated users (those who wrote in, followed or unfollowed). Codes as
 * WeChat documents them: 40003 unknown openid, 40032 more than 50 openids, 45056 more than 100 tags,
 * 45157 a tag name in use, 45158 a tag name over 30 characters, 45159 no such tag, 45059 a user with 20
 * tags already; 40035 (chosen) for a field of the wrong type.
 */
import { WeChatRefusalError } from './errcodes';
import { jsonBody, OK, type ApiContext, type Json, type Route } from './route';
import type { UserRecord } from './state';

/** Tags an official account may create (besides the reserved ones). */
export const MAX_TAGS = 100;
/** Tags one user may carry. */
export const MAX_TAGS_PER_USER = 20;
/** Openids one batchtagging call may name. */
export const MAX_TAGGING_OPENIDS = 50;
/** Openids one user/get page holds. */
export const USER_PAGE_SIZE = 10_000;
/** Longest tag name, characters. */
export const MAX_TAG_NAME = 30;

/** WeChat's reserved "star" tag, which every account has. */
const STAR_TAG = { id: 2, name: '星标组' };
/** Ids WeChat hands out to created tags start here. */
const FIRST_TAG_ID = 100;

interface UserBook {
  tags: Map<number, string>;
  nextTagId: number;
  /** openid → tag ids, in the order they were added. */
  tagsOf: Map<string, number[]>;
}

/** This area's state inside the sandbox's memory, created on first use and cleared by reset(). */
function book(ctx: ApiContext): UserBook {
  let b = ctx.state.areas.get('users') as UserBook | undefined;
  if (!b) {
    b = { tags: new Map([[STAR_TAG.id, STAR_TAG.name]]), nextTagId: FIRST_TAG_ID, tagsOf: new Map() };
    ctx.state.areas.set('users', b);
  }
  return b;
}

function knownUser(ctx: ApiContext, openid: unknown, field = 'openid'): UserRecord {
  if (typeof openid !== 'string' || openid === '') throw new WeChatRefusalError(40003, `${field} is required`);
  const user = ctx.state.users.get(openid);
  if (!user) throw new WeChatRefusalError(40003, `no user with this ${field} has interacted with the official account`);
  return user;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

const userInfo = (ctx: ApiContext, query: Record<string, string>): Json => {
  const user = knownUser(ctx, query.openid);
  // "值为0时，代表此用户没有关注该公众号，拉取不到其余信息": nothing else for a user who unfollowed.
  if (!user.following) return { subscribe: 0, openid: user.openid };
  return {
    subscribe: 1,
    openid: user.openid,
    language: 'zh_CN',
    subscribe_time: seconds(user.followedAt ?? ctx.now()),
    remark: '',
    groupid: 0,
    tagid_list: [...(book(ctx).tagsOf.get(user.openid) ?? [])],
    subscribe_scene: 'ADD_SCENE_OTHERS',
    qr_scene: 0,
    qr_scene_str: '',
  };
};

const userList = (ctx: ApiContext, query: Record<string, string>): Json => {
  const followers = [...ctx.state.users.values()].filter((u) => u.following).map((u) => u.openid);
  let start = 0;
  if (query.next_openid) {
    const at = followers.indexOf(query.next_openid);
    if (at < 0) throw new WeChatRefusalError(40003, 'next_openid is not a follower of the official account');
    start = at + 1;
  }
  const page = followers.slice(start, start + USER_PAGE_SIZE);
  // WeChat leaves `data` out of an empty page and answers next_openid "" at the end.
  return {
    total: followers.length,
    count: page.length,
    ...(page.length > 0 ? { data: { openid: page } } : {}),
    next_openid: page.length > 0 ? page[page.length - 1] : '',
  };
};

const tagList = (ctx: ApiContext): Json => {
  const b = book(ctx);
  const count = (id: number) =>
    [...b.tagsOf.entries()].filter(([openid, ids]) => ids.includes(id) && ctx.state.users.get(openid)?.following).length;
  return { tags: [...b.tags.entries()].map(([id, name]) => ({ id, name, count: count(id) })) };
};

const tagCreate = (ctx: ApiContext, body: Json): Json => {
  const tag = body.tag;
  if (!tag || typeof tag !== 'object' || Array.isArray(tag)) throw new WeChatRefusalError(40035, 'tag must be an object {name}');
  const name = (tag as Json).name;
  if (typeof name !== 'string' || name.trim() === '') throw new WeChatRefusalError(45157, 'tag.name is required');
  if ([...name].length > MAX_TAG_NAME) throw new WeChatRefusalError(45158, `tag.name may have at most ${MAX_TAG_NAME} characters`);
  const b = book(ctx);
  if ([...b.tags.values()].includes(name)) throw new WeChatRefusalError(45157, 'a tag with this name exists');
  if (b.tags.size - 1 >= MAX_TAGS) throw new WeChatRefusalError(45056, `at most ${MAX_TAGS} tags`);
  const id = b.nextTagId++;
  b.tags.set(id, name);
  return { tag: { id, name } };
};

const batchTagging = (ctx: ApiContext, body: Json): Json => {
  const list = body.openid_list;
  if (!Array.isArray(list) || list.length === 0) throw new WeChatRefusalError(40032, 'openid_list must be a non-empty array of openids');
  if (list.length > MAX_TAGGING_OPENIDS) throw new WeChatRefusalError(40032, `openid_list may hold at most ${MAX_TAGGING_OPENIDS} openids`);
  const b = book(ctx);
  const tagid = body.tagid;
  if (typeof tagid !== 'number' || !b.tags.has(tagid)) throw new WeChatRefusalError(45159, 'tagid is not an existing tag');
  const users = list.map((openid) => knownUser(ctx, openid, 'openid_list item'));
  // All or nothing: a user at the limit refuses the whole call before anyone is tagged.
  for (const u of users) {
    const ids = b.tagsOf.get(u.openid) ?? [];
    if (!ids.includes(tagid) && ids.length >= MAX_TAGS_PER_USER)
      throw new WeChatRefusalError(45059, `a user may carry at most ${MAX_TAGS_PER_USER} tags`);
  }
  for (const u of users) {
    const ids = b.tagsOf.get(u.openid) ?? [];
    if (!ids.includes(tagid)) b.tagsOf.set(u.openid, [...ids, tagid]);
  }
  return OK;
};

const tagIdsOf = (ctx: ApiContext, body: Json): Json => {
  const user = knownUser(ctx, body.openid);
  return { tagid_list: [...(book(ctx).tagsOf.get(user.openid) ?? [])] };
};

/** The routes of this area, registered in api.ts. */
export const USER_ROUTES: Readonly<Record<string, Route>> = {
  '/cgi-bin/user/info': { methods: ['GET'], auth: true, handler: (ctx, req) => userInfo(ctx, req.query) },
  '/cgi-bin/user/get': { methods: ['GET'], auth: true, handler: (ctx, req) => userList(ctx, req.query) },
  '/cgi-bin/tags/get': { methods: ['GET'], auth: true, handler: (ctx) => tagList(ctx) },
  '/cgi-bin/tags/create': { methods: ['POST'], auth: true, handler: (ctx, req) => tagCreate(ctx, jsonBody(req)) },
  '/cgi-bin/tags/members/batchtagging': { methods: ['POST'], auth: true, handler: (ctx, req) => batchTagging(ctx, jsonBody(req)) },
  '/cgi-bin/tags/getidlist': { methods: ['POST'], auth: true, handler: (ctx, req) => tagIdsOf(ctx, jsonBody(req)) },
};
