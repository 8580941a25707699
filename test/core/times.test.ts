/**
 * The one reader of times given by callers (functions/core/times.ts): ISO 8601 with its offset, or epoch
 * seconds / milliseconds told apart by size; nothing looser.
 */
import { parseTime, TIME_FORMS, withZone } from '../../functions/core/times';

describe('parseTime', () => {
  it('reads ISO 8601 with its offset, and epoch seconds and milliseconds by size', () => {
    // act
    const read = [
      '2026-12-01T08:00:00Z',
      '2026-12-01T16:00:00+08:00',
      '2026-12-01T03:00-0500',
      '2026-12-01T08:00:00.250Z',
      1796112000,
      '1796112000',
      1796112000000,
      '1796112000000',
    ].map((v) => parseTime(v).ms);

    // assess
    const at = Date.UTC(2026, 11, 1, 8);
    expect(read).toEqual([at, at, at, at + 250, at, at, at, at]);
  });

  it.each([
    ['foo 12'],
    ['-1'],
    ['07/12/2026'],
    ['2026-12-01'],
    ['2026-12-01T08:00:00'],
    ['2026-02-30T08:00:00Z'],
    ['2026-12-01T24:00:00Z'],
    ['Tue, 01 Dec 2026 08:00:00 GMT'],
    [-5],
    [1.5],
    [''],
    [null],
  ])('refuses %j, naming the accepted forms', (value) => {
    // act
    const read = parseTime(value);

    // assess
    expect(read.ms).toBeUndefined();
    expect(read.issue).toBe(`must be ${TIME_FORMS}, got ${JSON.stringify(value)}`);
  });
});

describe('withZone (a time without an offset, in a known zone)', () => {
  it('gives a zone-less time the offset of its zone at that moment, DST included, and leaves the rest', () => {
    // act + assess
    expect(withZone('2026-12-01T08:00:00', 'Asia/Shanghai')).toBe('2026-12-01T08:00:00+08:00');
    expect(withZone('2026-12-01 08:00', 'UTC')).toBe('2026-12-01T08:00:00+00:00');
    expect(withZone('2026-07-01T08:00:00', 'America/New_York')).toBe('2026-07-01T08:00:00-04:00');
    expect(withZone('2026-12-01T08:00:00.5', 'America/New_York')).toBe('2026-12-01T08:00:00.5-05:00');
    expect(withZone('2026-12-01T08:00:00Z', 'Asia/Shanghai')).toBe('2026-12-01T08:00:00Z');
    expect(withZone('foo 12', 'Asia/Shanghai')).toBe('foo 12');
    expect(parseTime(withZone('2026-12-01T08:00:00', 'Asia/Shanghai')).ms).toBe(Date.UTC(2026, 11, 1, 0));
  });
});
