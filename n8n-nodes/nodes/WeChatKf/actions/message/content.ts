import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { MESSAGE_TYPE_SPECS, type MessageType } from '../../../../../functions/core/catalogue';
import { fieldProperties, parameterName } from '../generated';
import { readMediaField } from '../media-field';

/**
 * The fields of each message type and how they become the object under the msgtype's key, as WeChat
 * documents it. The fields are the catalogue's (labels, descriptions, required); this file only says how
 * n8n shows the two that are not plain values (the menu's list, one news article) and builds the object. `Record<MessageType, …>` makes the compiler refuse a catalogue message type without fields.
 */
export interface MessageContent {
	fields: INodeProperties[];
	build(this: IExecuteFunctions, itemIndex: number): IDataObject | Promise<IDataObject>;
}

const str = (ctx: IExecuteFunctions, name: string, itemIndex: number): string => ctx.getNodeParameter(name, itemIndex, '') as string;

/** Leaves out optional fields left empty, so WeChat gets only what the user set. */
const compact = (object: IDataObject): IDataObject =>
	Object.fromEntries(Object.entries(object).filter(([, v]) => v !== '' && v !== undefined));

/**
 * The n8n parameter of a catalogue field of a message type: its label, type, rules and description come
 * from the catalogue (core/catalogue/messages.ts); `override` adds only what n8n needs beyond them.
 */
function specOf(type: MessageType, name: string) {
	const spec = MESSAGE_TYPE_SPECS[type].fields.find((f) => f.name === name);
	if (!spec) throw new Error(`the catalogue has no field ${name} for ${type}`);
	return spec;
}

function field(type: MessageType, name: string, param = parameterName(name), override: Partial<INodeProperties> = {}): INodeProperties {
	return Object.assign(fieldProperties(specOf(type, name), param)[0]!, override);
}

/** The parameters of a `media` field (Source: Media ID | Binary Property | URL, and one per source). */
const media = (type: MessageType, name: string): INodeProperties[] => fieldProperties(specOf(type, name), parameterName(name));

/** A media field's value: a media_id, `{file, filename}` from a binary property, or `{url}`. */
const mediaValue = async (ctx: IExecuteFunctions, type: MessageType, name: string, itemIndex: number) =>
	await readMediaField(ctx, specOf(type, name), parameterName(name), itemIndex, `${type}.${name}`);

export const MESSAGE_CONTENT: Record<MessageType, MessageContent> = {
	text: {
		fields: [field('text', 'content')],
		build(i) {
			return { content: str(this, 'content', i) };
		},
	},
	image: {
		fields: media('image', 'media_id'),
		async build(i) {
			return compact({ media_id: await mediaValue(this, 'image', 'media_id', i) });
		},
	},
	voice: {
		fields: media('voice', 'media_id'),
		async build(i) {
			return compact({ media_id: await mediaValue(this, 'voice', 'media_id', i) });
		},
	},
	video: {
		fields: [...media('video', 'media_id'), ...media('video', 'thumb_media_id'), field('video', 'title'), field('video', 'description')],
		async build(i) {
			return compact({
				media_id: await mediaValue(this, 'video', 'media_id', i),
				thumb_media_id: await mediaValue(this, 'video', 'thumb_media_id', i),
				title: str(this, 'title', i),
				description: str(this, 'description', i),
			});
		},
	},
	music: {
		fields: [
			field('music', 'title'),
			field('music', 'description'),
			field('music', 'musicurl', 'musicUrl'),
			field('music', 'hqmusicurl', 'hqMusicUrl'),
			...media('music', 'thumb_media_id'),
		],
		async build(i) {
			return compact({
				title: str(this, 'title', i),
				description: str(this, 'description', i),
				musicurl: str(this, 'musicUrl', i),
				hqmusicurl: str(this, 'hqMusicUrl', i),
				thumb_media_id: await mediaValue(this, 'music', 'thumb_media_id', i),
			});
		},
	},
	news: {
		// One article card, field by field (the catalogue's `articles` is the JSON array of them).
		fields: [
			{ displayName: 'Title', name: 'title', type: 'string', default: '' },
			{ displayName: 'Description', name: 'description', type: 'string', default: '' },
			{ displayName: 'URL', name: 'url', type: 'string', default: '', description: 'The page the article opens' },
			{ displayName: 'Picture URL', name: 'picUrl', type: 'string', default: '', description: 'The cover image (JPG or PNG)' },
		],
		build(i) {
			return {
				articles: [
					compact({
						title: str(this, 'title', i),
						description: str(this, 'description', i),
						url: str(this, 'url', i),
						picurl: str(this, 'picUrl', i),
					}),
				],
			};
		},
	},
	mpnews: {
		fields: [field('mpnews', 'media_id')],
		build(i) {
			return { media_id: str(this, 'mediaId', i) };
		},
	},
	mpnewsarticle: {
		fields: [field('mpnewsarticle', 'article_id')],
		build(i) {
			return { article_id: str(this, 'articleId', i) };
		},
	},
	msgmenu: {
		fields: [
			field('msgmenu', 'head_content'),
			// The list is a fixed collection of {id, content} in n8n, rather than JSON.
			field('msgmenu', 'list', 'menuItems', {
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				placeholder: 'Add Menu Item',
				options: [
					{
						displayName: 'Item',
						name: 'item',
						values: [
							{ displayName: 'ID', name: 'id', type: 'string', default: '', description: 'Comes back as bizmsgmenuid' },
							{ displayName: 'Text', name: 'content', type: 'string', default: '' },
						],
					},
				],
			}),
			field('msgmenu', 'tail_content'),
		],
		build(i) {
			const items = (this.getNodeParameter('menuItems.item', i, []) as IDataObject[]) ?? [];
			return {
				head_content: str(this, 'headContent', i),
				list: items.map((item) => ({ id: String(item.id ?? ''), content: String(item.content ?? '') })),
				tail_content: str(this, 'tailContent', i),
			};
		},
	},
	wxcard: {
		fields: [field('wxcard', 'card_id'), field('wxcard', 'card_ext')],
		build(i) {
			const ext = this.getNodeParameter('cardExt', i, '') as string | IDataObject;
			const out: IDataObject = { card_id: str(this, 'cardId', i) };
			if (typeof ext === 'object' && ext !== null) out.card_ext = JSON.stringify(ext);
			else if (typeof ext === 'string' && ext.trim() !== '') out.card_ext = ext.trim();
			return out;
		},
	},
	miniprogrampage: {
		fields: [
			field('miniprogrampage', 'title'),
			field('miniprogrampage', 'appid'),
			field('miniprogrampage', 'pagepath'),
			...media('miniprogrampage', 'thumb_media_id'),
		],
		async build(i) {
			return compact({
				title: str(this, 'title', i),
				appid: str(this, 'appid', i),
				pagepath: str(this, 'pagepath', i),
				thumb_media_id: await mediaValue(this, 'miniprogrampage', 'thumb_media_id', i),
			});
		},
	},
};
