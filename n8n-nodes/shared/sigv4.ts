import { createHash, createHmac } from 'crypto';

/**
 * A small AWS Signature Version 4 signer (header form), enough for API Gateway (`execute-api`):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export interface SigV4Credentials {
	accessKeyId: string;
	secretAccessKey: string;
	sessionToken?: string;
}

export interface SigV4Request {
	method: string;
	/** Absolute URL, with its query. */
	url: string;
	headers?: Record<string, string>;
	body?: string | Uint8Array;
}

export interface SigV4Options {
	region: string;
	service?: string;
	/** The signing time; default now. */
	date?: Date;
	/** Also send and sign X-Amz-Content-Sha256 (as the AWS SDK does). Default true. */
	contentSha256?: boolean;
}

const hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding, as SigV4 wants it (unreserved: A-Z a-z 0-9 - _ . ~). */
export function rfc3986(value: string): string {
	return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPath(pathname: string, service: string): string {
	if (pathname === '' || pathname === '/') return '/';
	const once = pathname
		.split('/')
		.map((segment) => {
			let decoded = segment;
			try {
				decoded = decodeURIComponent(segment);
			} catch {
				// keep it as sent
			}
			return rfc3986(decoded);
		})
		.join('/');
	// Every service but S3 wants each segment encoded twice.
	return service === 's3' ? once : once.split('/').map(rfc3986).join('/');
}

function canonicalQuery(search: string): string {
	if (!search || search === '?') return '';
	const pairs = search
		.replace(/^\?/, '')
		.split('&')
		.filter((p) => p !== '')
		.map((p) => {
			const eq = p.indexOf('=');
			const k = eq === -1 ? p : p.slice(0, eq);
			const v = eq === -1 ? '' : p.slice(eq + 1);
			const dec = (s: string) => {
				try {
					return decodeURIComponent(s.replace(/\+/g, '%20'));
				} catch {
					return s;
				}
			};
			return [rfc3986(dec(k)), rfc3986(dec(v))] as const;
		});
	pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
	return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** `20150830T123600Z` */
export function amzDate(date: Date): string {
	return date.toISOString().replace(/[:-]|\.\d{3}/g, '');
}

/**
 * Signs a request: returns the headers to add (Authorization, X-Amz-Date, X-Amz-Security-Token when a
 * session token is given). Host comes from the URL; every header given is signed.
 */
export function signRequest(request: SigV4Request, credentials: SigV4Credentials, options: SigV4Options): Record<string, string> {
	const service = options.service ?? 'execute-api';
	const url = new URL(request.url);
	const stamp = amzDate(options.date ?? new Date());
	const day = stamp.slice(0, 8);
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(request.headers ?? {})) {
		headers[name.toLowerCase()] = String(value).trim().replace(/\s+/g, ' ');
	}
	headers.host = url.host;
	headers['x-amz-date'] = stamp;
	const payloadHash = hex(request.body ?? '');
	if (options.contentSha256 !== false) headers['x-amz-content-sha256'] = payloadHash;
	if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
	const names = Object.keys(headers).sort();
	const signedHeaders = names.join(';');
	const canonicalRequest = [
		request.method.toUpperCase(),
		canonicalPath(url.pathname, service),
		canonicalQuery(url.search),
		names.map((n) => `${n}:${headers[n]}\n`).join(''),
		signedHeaders,
		payloadHash,
	].join('\n');
	const scope = `${day}/${options.region}/${service}/aws4_request`;
	const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, hex(canonicalRequest)].join('\n');
	const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), options.region), service), 'aws4_request');
	const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
	const added: Record<string, string> = {
		Authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
		'X-Amz-Date': stamp,
	};
	if (options.contentSha256 !== false) added['X-Amz-Content-Sha256'] = payloadHash;
	if (credentials.sessionToken) added['X-Amz-Security-Token'] = credentials.sessionToken;
	return added;
}
