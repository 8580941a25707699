/**
 * Turns zod's issues into {@link ValidationError}s that name the field and the rule in plain words, and
 * holds the small schema builders every catalogue entry uses so that each message reads the same way.
 *
 * The schemas are zod's tree-shakable build, `zod/mini` (functions instead of methods: `z.optional(s)`,
 * `s.check(z.maxLength(n))`), so a Lambda bundle carries only the parts of zod it uses (the classic build
 * weighed 444 KB of every function: docs/bundles.md). zod/mini has no default messages of its own: the
 * English ones of classic zod are installed here, for the rare rule without its own words.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { ValidationError, type ValidationIssue } from './errors';

z.config(en());

/** The schema type the catalogue's `parse` functions use. */
export type Schema<T = unknown> = z.ZodMiniType<T>;

/** The dotted field path of a zod issue; `(body)` for the input itself. */
function fieldOf(path: ReadonlyArray<PropertyKey>, prefix: string): string {
  const parts = path.map(String);
  const joined = parts.join('.');
  if (prefix) return joined ? `${prefix}.${joined}` : prefix;
  return joined || '(body)';
}

/**
 * Parses `input` with `schema`, or throws one {@link ValidationError} listing every broken rule.
 *
 * @example
 * ```ts
 * parseOrThrow(z.object({ touser: requiredString() }), {}); // throws 'touser: is required'
 * ```
 */
export function parseOrThrow<T>(schema: z.ZodMiniType<T>, input: unknown, prefix = ''): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(toIssues(result.error, prefix));
}

/** zod issues as {@link ValidationIssue}s, deduplicated. */
export function toIssues(error: z.core.$ZodError, prefix = ''): ValidationIssue[] {
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const field = fieldOf(issue.path, prefix);
    const rule = issue.message;
    const key = `${field}\u0000${rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ field, rule });
  }
  return issues;
}

/** The JSON type name of a value, for "must be a string, got a number". */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  return t === 'object' ? 'an object' : t === 'undefined' ? 'missing' : `a ${t}`;
}

/** A required, non-empty string. */
export function requiredString(what = 'a string') {
  return z
    .string({ error: (iss) => (iss.input === undefined ? 'is required' : `must be ${what}, got ${typeName(iss.input)}`) })
    .check(z.minLength(1, { error: 'must not be empty' }));
}

/**
 * An optional string (absent is fine; present must be a string and pass `checks`).
 *
 * @example
 * ```ts
 * optionalString('a file name', z.maxLength(200, { error: 'must have at most 200 characters' }));
 * ```
 */
export function optionalString(what = 'a string', ...checks: z.core.$ZodCheck<string>[]) {
  const schema = z.string({ error: (iss) => `must be ${what}, got ${typeName(iss.input)}` });
  return z.optional(checks.length ? schema.check(...checks) : schema);
}

/** A required object with the given fields; unknown fields are kept and passed to WeChat unchanged. */
export function requiredObject<S extends z.core.$ZodLooseShape>(shape: S, what = 'an object') {
  return z.looseObject(shape, {
    error: (iss) => (iss.input === undefined ? 'is required' : `must be ${what}, got ${typeName(iss.input)}`),
  });
}

/**
 * Reports a broken rule from inside a transform (zod/mini's transforms get the parse payload, without
 * classic zod's `ctx.addIssue`), at `path` below the field being parsed.
 *
 * @example
 * ```ts
 * z.pipe(z.string(), z.transform((v, ctx) => (v.startsWith('{') ? v : reject(ctx, 'must be JSON'))));
 * ```
 */
export function reject(ctx: z.core.ParsePayload, message: string, path: PropertyKey[] = []): never {
  ctx.issues.push({ code: 'custom', message, input: ctx.value, path });
  return z.NEVER;
}

/**
 * A whole number from `min` to `max`; a query string's value (`"50"`, `"-1"`, `"2.5"`) is read as the
 * number it spells, so `limit=-1` is told the rule it breaks, not "got a string".
 *
 * @example
 * ```ts
 * parseOrThrow(z.object({ limit: wholeNumber(1, 100, 'a whole number from 1 to 100') }), { limit: '-1' });
 * // throws 'limit: must be a whole number from 1 to 100, got -1'
 * ```
 */
export function wholeNumber(min: number, max: number, what: string) {
  const got = (input: unknown) => (typeof input === 'number' || typeof input === 'string' ? JSON.stringify(input) : typeName(input));
  const rule = { error: (iss: { input?: unknown }) => `must be ${what}, got ${got(iss.input)}` };
  return z.pipe(
    z.transform((v: unknown) => (typeof v === 'string' && /^-?[0-9]{1,16}(\.[0-9]+)?$/.test(v) ? Number(v) : v)),
    z.number(rule).check(z.int(rule), z.gte(min, rule), z.lte(max, rule)),
  );
}
