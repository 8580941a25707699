import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { MessageType } from '../../../../../functions/core/catalogue';

/**
 * The fields of each message type and how they become the object under the msgtype's key, as WeChat
 * documents it. `Record<MessageType, …>` makes the compiler refuse a catalogue message type without fields.
 */
export interface MessageContent {
	fields: INodeProperties[];
	build(this: IExecuteFunctions, itemIndex: number): IDataObject;
}

const str = (ctx: IExecuteFunctions, name: string, itemIndex: number): string =>
	ctx.getNodeParameter(name, itemIndex, '') as string;

/** Leaves out optional fields left empty, so WeChat gets only what the user set. */
const compact = (object: IDataObject): IDataObject =>
	Object.fromEntries(Object.entries(object).filter(([, v]) => v !== '' && v !== undefined));

const mediaId = (description: string): INodeProperties => ({
	displayName: 'Media ID',
	name: 'mediaId',
	type: 'string',
	required: true,
	default: '',
	description,
});

const thumbMediaId: INodeProperties = {
	displayName: 'Thumbnail Media ID',
	name: 'thumbMediaId',
	type: 'string',
	required: true,
	default: '',
	description: 'The media_id of the uploaded thumbnail image',
};

const title = (required = false): INodeProperties => ({
	displayName: 'Title',
	name: 'title',
	type: 'string',
	required,
	default: '',
});

const description: INodeProperties = {
	displayName: 'Description',
	name: 'description',
	type: 'string',
	default: '',
};

export const MESSAGE_CONTENT: Record<MessageType, MessageContent> = {
	text: {
		fields: [
			{
				displayName: 'Text',
				name: 'content',
				type: 'string',
				typeOptions: { rows: 4 },
				required: true,
				default: '',
				description:
					'The text. It may hold links: &lt;a href="https://…"&gt;…&lt;/a&gt;, also to mini program pages (data-miniprogram-appid, data-miniprogram-path).',
			},
		],
		build(i) {
			return { content: str(this, 'content', i) };
		},
	},
	image: {
		fields: [mediaId('The media_id of an uploaded image')],
		build(i) {
			return { media_id: str(this, 'mediaId', i) };
		},
	},
	voice: {
		fields: [mediaId('The media_id of uploaded audio')],
		build(i) {
			return { media_id: str(this, 'mediaId', i) };
		},
	},
	video: {
		fields: [mediaId('The media_id of an uploaded video'), thumbMediaId, title(), description],
		build(i) {
			return compact({
				media_id: str(this, 'mediaId', i),
				thumb_media_id: str(this, 'thumbMediaId', i),
				title: str(this, 'title', i),
				description: str(this, 'description', i),
			});
		},
	},
	music: {
		fields: [
			title(),
			description,
			{ displayName: 'Music URL', name: 'musicUrl', type: 'string', required: true, default: '' },
			{
				displayName: 'High-Quality Music URL',
				name: 'hqMusicUrl',
				type: 'string',
				required: true,
				default: '',
				description: 'Played on Wi-Fi',
			},
			thumbMediaId,
		],
		build(i) {
			return compact({
				title: str(this, 'title', i),
				description: str(this, 'description', i),
				musicurl: str(this, 'musicUrl', i),
				hqmusicurl: str(this, 'hqMusicUrl', i),
				thumb_media_id: str(this, 'thumbMediaId', i),
			});
		},
	},
	news: {
		fields: [
			title(),
			description,
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
		fields: [mediaId('The media_id of the article (mpnews is deprecated by WeChat: prefer Published Article)')],
		build(i) {
			return { media_id: str(this, 'mediaId', i) };
		},
	},
	mpnewsarticle: {
		fields: [
			{
				displayName: 'Article ID',
				name: 'articleId',
				type: 'string',
				required: true,
				default: '',
				description: 'The article_id of a published article of the official account',
			},
		],
		build(i) {
			return { article_id: str(this, 'articleId', i) };
		},
	},
	msgmenu: {
		fields: [
			{ displayName: 'Head', name: 'headContent', type: 'string', default: '', description: 'Text above the menu' },
			{
				displayName: 'Menu Items',
				name: 'menuItems',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				required: true,
				default: {},
				placeholder: 'Add Menu Item',
				description: 'The answers the user can tap; a tap comes back as a text message carrying bizmsgmenuid',
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
			},
			{ displayName: 'Tail', name: 'tailContent', type: 'string', default: '', description: 'Text below the menu' },
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
		fields: [
			{ displayName: 'Card ID', name: 'cardId', type: 'string', required: true, default: '' },
			{
				displayName: 'Card Extension (JSON)',
				name: 'cardExt',
				type: 'json',
				default: '',
				description: 'Optional card_ext: sent to WeChat as a JSON-encoded string',
			},
		],
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
			title(true),
			{ displayName: 'Mini Program AppID', name: 'appid', type: 'string', required: true, default: '' },
			{ displayName: 'Page Path', name: 'pagepath', type: 'string', required: true, default: '', placeholder: 'pages/index/index' },
			thumbMediaId,
		],
		build(i) {
			return {
				title: str(this, 'title', i),
				appid: str(this, 'appid', i),
				pagepath: str(this, 'pagepath', i),
				thumb_media_id: str(this, 'thumbMediaId', i),
			};
		},
	},
};
