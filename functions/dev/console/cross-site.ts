/**
 * Cross-site request refusal for what changes the sandbox (the console's proxy and the sandbox's own
 * control plane, on whose origin `npm run sandbox` serves the console).
 *
 * @example
 * ```ts
 * const why = crossSiteRefusal(req);
 * if (why) return send(res, 403, { error: { code: 'CROSS_SITE', message: why } });
 * ```
 */
import type { IncomingMessage } from 'node:http';

/**
 * Why a request that changes the sandbox must be refused: it comes from another site. A page elsewhere
 * can make the browser POST here (a form, or fetch in no-cors mode); the browser then says so in Origin
 * and Sec-Fetch-Site, which no page can forge. Reads (GET, HEAD) are left alone: another site cannot see
 * their answers.
 */
export function crossSiteRefusal(req: IncomingMessage): string | undefined {
  const source = crossSiteSource(req);
  return source ? `${source} may not drive the sandbox: use the console itself` : undefined;
}

/**
 * The one cross-site rule, shared by the console, the sandbox and the local product's API
 * (functions/dev/local/request-guard.ts): a request which a browser marks as coming from another site,
 * described for an error message (`a cross-site request`, `a request from http://localhost:5173`), or
 * undefined. Servers send neither header, so they pass. GET and HEAD are left alone unless `reads` is
 * set: the local product sets it for every route but the console's pages, because a GET there may call
 * WeChat (`/doctor`, `/chat-records`, `/media/{id}`), and another site need not read the answer to spend
 * the account's API quota.
 *
 * @example
 * ```ts
 * crossSiteSource(req); // 'a same-site request (Sec-Fetch-Site)' for a page on another port of localhost
 * crossSiteSource(req, { reads: true }); // the same for an <img src> pointing at GET /doctor
 * ```
 */
export function crossSiteSource(req: IncomingMessage, options: { reads?: boolean } = {}): string | undefined {
  if (!options.reads && (req.method === 'GET' || req.method === 'HEAD')) return undefined;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `a ${site} request (Sec-Fetch-Site)`;
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== `http://${req.headers.host}`) return `a request from ${origin} (Origin)`;
  return undefined;
}
