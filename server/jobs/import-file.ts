/**
 * The users of an import file, one entry at a time: Auth0's bulk-import file (a JSON array of
 * users) or NDJSON (one user a line, as Auth0's user exports and its support's password-hash
 * exports are). An entry that is not JSON is that entry's problem, never the file's; only an
 * array whose brackets do not close is refused as a whole, before any user is written.
 *
 * The array is cut into its elements by a scan of the text (strings and nesting tracked), in
 * slices between which the event loop runs, rather than by one JSON.parse of up to 64 MB that
 * would hold every login waiting meanwhile. Each element is then parsed when its batch comes.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface FileEntry {
  /** The user's place in the file from 0: the array's index, or the NDJSON line's. */
  readonly position: number;
  /** Where the entry ends in the text, for the share of the file done. */
  readonly end: number;
  readonly text: string;
}

export class ImportFileRefused extends Error {
  override name = 'ImportFileRefused';
}

export interface ImportFile {
  readonly length: number;
  entries(): Generator<FileEntry>;
}

const SCAN_SLICE = 1 << 20;

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0xfeff]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN = new Set([0x7b, 0x5b]);
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

function skipSpace(text: string, from: number): number {
  let at = from;
  while (at < text.length && SPACE.has(text.charCodeAt(at))) at += 1;
  return at;
}

/** Where the element starting at `from` ends: the index of the `,` or `]` after it at depth 0. */
function elementEnd(text: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let at = from; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (inString) {
      if (code === BACKSLASH) at += 1;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (OPEN.has(code)) depth += 1;
    else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) {
      if (depth === 0) return at;
      depth -= 1;
    } else if (code === COMMA && depth === 0) return at;
  }
  return text.length;
}

/** The [start, end) of each element of the top-level array, or ImportFileRefused. */
async function splitArray(text: string, open: number): Promise<Array<[number, number]>> {
  const bounds: Array<[number, number]> = [];
  let at = skipSpace(text, open + 1);
  let sliceStart = at;
  if (text.charCodeAt(at) === CLOSE_ARRAY) return afterArray(text, at, bounds);
  for (;;) {
    const start = skipSpace(text, at);
    const stop = elementEnd(text, start);
    if (stop >= text.length) throw new ImportFileRefused(`the file ends inside the array (element ${bounds.length} is not closed)`);
    let end = stop;
    while (end > start && SPACE.has(text.charCodeAt(end - 1))) end -= 1;
    bounds.push([start, end]);
    const code = text.charCodeAt(stop);
    if (code === CLOSE_OBJECT) throw new ImportFileRefused(`element ${bounds.length - 1} has a } that closes nothing`);
    at = stop + 1;
    if (code === CLOSE_ARRAY) return afterArray(text, stop, bounds);
    if (at - sliceStart > SCAN_SLICE) {
      await nextTurn();
      sliceStart = at;
    }
  }
}

function afterArray(text: string, close: number, bounds: Array<[number, number]>): Array<[number, number]> {
  if (skipSpace(text, close + 1) < text.length) throw new ImportFileRefused('the file goes on after the array closes');
  return bounds;
}

function* arrayEntries(text: string, bounds: ReadonlyArray<[number, number]>): Generator<FileEntry> {
  for (const [position, [start, end]] of bounds.entries()) yield { position, end, text: text.slice(start, end) };
}

function* lineEntries(text: string): Generator<FileEntry> {
  let start = 0;
  for (let position = 0; start < text.length; position += 1) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line !== '') yield { position, end, text: line };
  }
}

/** A JSON array when the first thing in the file is `[`, NDJSON otherwise. */
export async function readImportFile(text: string): Promise<ImportFile> {
  const first = skipSpace(text, 0);
  if (text.charCodeAt(first) !== 0x5b) return { length: text.length, entries: () => lineEntries(text) };
  const bounds = await splitArray(text, first);
  return { length: text.length, entries: () => arrayEntries(text, bounds) };
}
