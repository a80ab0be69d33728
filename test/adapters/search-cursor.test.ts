/**
 * The checkpoint cursor on its own: what it writes it reads back, and anything else (garbage,
 * another shape, a tampered position, an impossible date) is refused with InvalidCursorError.
 * Paging with it against PostgreSQL: test/adapters/user-search.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, InvalidCursorError } from '../../adapters/queries/search-cursor.js';

const position = { createdAt: '2024-02-29T23:59:59.123456Z', id: 'database|jane' };

const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('search cursor', () => {
  it('reads back the position it wrote, to the microsecond', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it('refuses garbage and cursors of another shape', () => {
    for (const cursor of [
      '',
      'not a cursor',
      '%%%',
      encoded({ a: 1 }),
      encoded([position.createdAt]),
      encoded([position.createdAt, position.id, 'x']),
    ]) {
      expect(() => decodeCursor(cursor), cursor).toThrow(InvalidCursorError);
    }
  });

  it('refuses a tampered position: a millisecond time, an impossible date, an empty or non-text id', () => {
    for (const tampered of [
      ['2024-01-01T00:00:00.000Z', position.id],
      ['2024-13-45T00:00:00.000000Z', position.id],
      ['2023-02-29T00:00:00.000000Z', position.id],
      [position.createdAt, ''],
      [position.createdAt, 42],
    ]) {
      expect(() => decodeCursor(encoded(tampered)), JSON.stringify(tampered)).toThrow(InvalidCursorError);
    }
  });

  it('refuses a valid cursor with a character changed', () => {
    const cursor = encodeCursor(position);
    const tampered = `${cursor.slice(0, 3)}${cursor[3] === 'A' ? 'B' : 'A'}${cursor.slice(4)}`;
    expect(() => decodeCursor(tampered)).toThrow(InvalidCursorError);
  });
});
