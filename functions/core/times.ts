/**
 * The one reader of times given by callers (docs/input-rules.md, "Times"): `/chat-records` starttime and
 * endtime, `/deliveries` since, `/interactions` at. Two forms, nothing looser:
 * - ISO 8601 with its offset: `2026-12-01T08:00:00Z`, `2026-12-01T16:00:00+08:00` (seconds and a fraction
 *   optional). Without an offset a time means a different instant on each server, so it is refused.
 * - Epoch seconds or milliseconds, as a whole number (or a string of digits), told apart by size: below
 *   10^12 it is seconds (as milliseconds it would be before 2001-09-09, which no record of this product is),
 *   from 10^12 milliseconds.
 * Anything else ("foo 12", "-1", "07/12/2026", a date without a time) is refused, never guessed.
 *
 * @example
 * ```ts
 * parseTime('2026-12-01T08:00:00+08:00'); // { ms: 1796083200000 }
 * parseTime(1796083200); // { ms: 1796083200000 }: seconds
 * parseTime('07/12/2026'); // { issue: 'must be an ISO 8601 time with its offset ... got "07/12/2026"' }
 * ```
 */

/** The accepted forms, in words, for the 400s of every time field. */
export const TIME_FORMS =
  'an ISO 8601 time with its offset (e.g. 2026-12-01T08:00:00Z or 2026-12-01T16:00:00+08:00) or epoch seconds or milliseconds';

/** Epoch values below this are seconds; from it, milliseconds. */
export const EPOCH_MS_FROM = 1e12;

const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/** A time read: its instant in milliseconds, or what is wrong with it. */
export type ParsedTime = { ms: number; issue?: undefined } | { ms?: undefined; issue: string };

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function fromIso(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetHours = m[8] ? 0 : Number(m[10]);
  const offsetMinutes = m[8] ? 0 : Number(m[11]);
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const sign = m[9] === '-' ? -1 : 1;
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second) + Math.floor(fraction);
  return utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/**
 * Reads a time as the module comment says.
 *
 * @example
 * ```ts
 * const t = parseTime(query.since);
 * if (t.issue) issues.push({ field: 'since', rule: t.issue });
 * ```
 */
export function parseTime(value: unknown): ParsedTime {
  let ms: number | undefined;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) ms = value < EPOCH_MS_FROM ? value * 1000 : value;
  } else if (typeof value === 'string') {
    if (/^[0-9]{1,16}$/.test(value)) {
      const n = Number(value);
      ms = n < EPOCH_MS_FROM ? n * 1000 : n;
    } else ms = fromIso(value);
  }
  if (ms === undefined || !Number.isFinite(ms))
    return { issue: `must be ${TIME_FORMS}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}` };
  return { ms };
}

/** A date and time without an offset, as n8n's date picker gives it (`2026-12-01T08:00:00`). */
const ZONELESS = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(:\d{2}(?:\.\d{1,9})?)?$/;

/** The offset of `timeZone` at an instant, in minutes east of UTC. */
function offsetMinutes(ms: number, timeZone: string): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(new Date(ms))
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
}

/**
 * Gives a time without an offset the offset of `timeZone` at that moment, so a caller that knows the zone
 * the time was meant in (n8n: the workflow's time zone, `this.getTimezone()`) sends what {@link parseTime}
 * accepts; anything else is returned as it is, for parseTime to judge.
 *
 * @example
 * ```ts
 * withZone('2026-12-01T08:00:00', 'Asia/Shanghai'); // '2026-12-01T08:00:00+08:00'
 * withZone('2026-12-01T08:00:00Z', 'Asia/Shanghai'); // unchanged
 * ```
 */
export function withZone(value: unknown, timeZone: string): unknown {
  if (typeof value !== 'string') return value;
  const m = ZONELESS.exec(value.trim());
  if (!m) return value;
  const local = `${m[1]}T${m[2]}${m[3] ?? ':00'}`;
  const asUtc = Date.parse(`${local}Z`);
  if (!Number.isFinite(asUtc)) return value;
  // The offset at the local time read as UTC, then at the instant that gives (right across a DST change).
  let offset = offsetMinutes(asUtc, timeZone);
  offset = offsetMinutes(asUtc - offset * 60_000, timeZone);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
