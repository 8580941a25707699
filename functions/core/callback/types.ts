/** Constants and types shared by the callback modules. See ./index.ts for the choices made. */

/** The longest push body read, in characters. WeChat's pushes are a few KB; anything near this is not one. */
export const MAX_PUSH_BODY_CHARS = 256 * 1024;

/** How far (in seconds) a push's `timestamp` may be from this server's clock, by default. */
export const DEFAULT_MAX_SKEW_SECONDS = 300;

/** How deep elements (or JSON objects) may nest in a push. WeChat's deepest is 4. */
export const MAX_DEPTH = 16;

/** How many fields a push may have once flattened. */
export const MAX_FIELDS = 1000;

/**
 * The query string of a callback request, as API Gateway, Node's `querystring` or n8n give it. A
 * parameter given twice (an array of two) is refused.
 */
export type CallbackQuery = Readonly<Record<string, string | readonly string[] | null | undefined>>;

/** The format of a push body. */
export type PushFormat = 'xml' | 'json';

/**
 * How a push came: `plain` (no encryption), `safe` (only `Encrypt`), or `compatible` (`Encrypt` beside
 * the plaintext fields).
 */
export type PushMode = 'plain' | 'safe' | 'compatible';

/** A push body as a flat record: strings, except `CreateTime`, a number. */
export type InboundFields = Record<string, string | number>;
