/**
 * fast-check arbitraries for fuzzing JSON inputs: arbitrary JSON, values chosen to break
 * stores and parsers (NUL, lone surrogates, deep nesting, long strings, huge numbers), and
 * near-valid inputs, each a valid seed with one key changed, removed or added.
 */
import fc from 'fast-check';

/**
 * How a fuzz run picks its inputs. On a developer's machine each run explores new ones (the
 * seed of a failure is printed; FUZZ_SEED replays it). CI runs one fixed sample, so a landing
 * is judged on the same inputs every time; widen it by changing the seed after a clean run.
 */
export const FUZZ_SEED: { seed?: number } = process.env['FUZZ_SEED']
  ? { seed: Number(process.env['FUZZ_SEED']) }
  : process.env['CI']
    ? { seed: 20_261_202 }
    : {};

const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let level = 0; level < levels; level += 1) value = level % 2 ? [value] : { a: value };
  return value;
};

/**
 * A value nested deeper than JSON.stringify (or fast-check's own printer) can recurse: kept as
 * its JSON text, which toJson puts in place.
 */
export class DeepJson {
  readonly text: string;
  constructor(readonly levels: number) {
    this.text = `${'{"a":['.repeat(levels)}1${']}'.repeat(levels)}`;
  }
  [fc.toStringMethod](): string {
    return `DeepJson(${this.levels})`;
  }
}

const DEEP_MARKER = '@@deep-json@@';

/** JSON.stringify, with each DeepJson's text in its place. */
export function toJson(value: unknown): string | undefined {
  const deep: string[] = [];
  const text = JSON.stringify(value, (_key, inner: unknown) => {
    if (!(inner instanceof DeepJson)) return inner;
    deep.push(inner.text);
    return DEEP_MARKER;
  });
  let index = 0;
  return text?.replaceAll(JSON.stringify(DEEP_MARKER), () => deep[index++] ?? 'null');
}

/** Values that have each broken something somewhere: a store, a parser, a recursion. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom<unknown>(
    '\u0000',
    'a\u0000b',
    '%00',
    '\ud800',
    '',
    ' ',
    'x'.repeat(5000),
    'javascript:alert(1)',
    '__proto__',
    '*',
    '"',
    '\\',
    '(',
    'database|',
    '|',
    -1,
    0,
    1.5,
    2 ** 53,
    1e308,
    -1e308,
    true,
    null,
    [],
    {},
    { __proto__: null, constructor: 1 },
    nested(40),
  ),
  fc.constant(new DeepJson(5000)),
);

function clone(value: Record<string, unknown>): Record<string, unknown> {
  return { ...value };
}

/** Sets an own property, so a key named __proto__ travels in the JSON as a key. */
function withKey(seed: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = clone(seed);
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

function withoutKey(seed: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = clone(seed);
  delete copy[key];
  return copy;
}

/** A valid input with one thing wrong, or anything at all. */
export function nearValid(seed: Record<string, unknown> | undefined): fc.Arbitrary<unknown> {
  if (!seed || Object.keys(seed).length === 0) {
    return fc.oneof(
      hostileValue,
      fc.tuple(fc.string({ maxLength: 10 }), hostileValue).map(([key, value]) => withKey({}, key || 'k', value)),
    );
  }
  const keys = Object.keys(seed);
  const nestedKeys = keys.filter((key) => typeof seed[key] === 'object' && seed[key] !== null && !Array.isArray(seed[key]));
  const changes: Array<fc.Arbitrary<unknown>> = [
    fc.constant(seed),
    hostileValue,
    fc.tuple(fc.constantFrom(...keys), hostileValue).map(([key, value]) => withKey(seed, key, value)),
    fc.constantFrom(...keys).map((key) => withoutKey(seed, key)),
    fc.tuple(fc.constantFrom('unknown_key', '__proto__', 'constructor', ''), hostileValue).map(([key, value]) => withKey(seed, key, value)),
  ];
  if (nestedKeys.length > 0) {
    changes.push(
      fc
        .tuple(fc.constantFrom(...nestedKeys), fc.string({ maxLength: 12 }), hostileValue)
        .map(([key, inner, value]) => withKey(seed, key, withKey(seed[key] as Record<string, unknown>, inner || 'k', value))),
    );
  }
  return fc.oneof(...changes);
}
