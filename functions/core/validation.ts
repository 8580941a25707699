/**
 * Turns zod's issues into {@link ValidationError}s that name the field and the rule in plain words, and
 * holds the small schema builders every catalogue entry uses so that each message reads the same way.
 */
import { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors';

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
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(toIssues(result.error, prefix));
}

/** zod issues as {@link ValidationIssue}s, deduplicated. */
export function toIssues(error: z.ZodError, prefix = ''): ValidationIssue[] {
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
    .min(1, { error: 'must not be empty' });
}

/** An optional string (absent is fine; present must be a string). */
export function optionalString(what = 'a string') {
  return z.string({ error: (iss) => `must be ${what}, got ${typeName(iss.input)}` }).optional();
}

/** A required object with the given fields; unknown fields are kept and passed to WeChat unchanged. */
export function requiredObject<S extends z.core.$ZodLooseShape>(shape: S, what = 'an object') {
  return z.looseObject(shape, { error: (iss) => (iss.input === undefined ? 'is required' : `must be ${what}, got ${typeName(iss.input)}`) });
}
