/**
 * The cursor of checkpoint paging (users.list's `from` and `next`): the last row's position in
 * (created_at, id) order, as opaque base64url text. Decoding refuses anything this codec did
 * not write, so a caller's cursor only ever becomes two typed bind values.
 */

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
  constructor() {
    super('from is not a cursor this server returned');
  }
}

export interface CheckpointPosition {
  /** created_at to the microsecond, as PostgreSQL keeps it: a millisecond Date would repeat rows. */
  createdAt: string;
  id: string;
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(position: CheckpointPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CheckpointPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const [createdAt, id] = Array.isArray(decoded) && decoded.length === 2 ? (decoded as unknown[]) : [];
  if (typeof createdAt !== 'string' || !CURSOR_TIME.test(createdAt) || typeof id !== 'string' || id === '') {
    throw new InvalidCursorError();
  }
  // A real instant reads back the same; Date would roll 2024-02-30 over to March.
  const instant = new Date(createdAt);
  if (Number.isNaN(instant.getTime()) || instant.toISOString().slice(0, 19) !== createdAt.slice(0, 19)) {
    throw new InvalidCursorError();
  }
  return { createdAt, id };
}
