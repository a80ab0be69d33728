/**
 * users.list's Lucene-like `q`, parsed by liqe into the typed query tree that storage answers
 * (adapters/queries/user-query-tree.ts), refusing what that tree cannot say.
 * @see https://github.com/gajus/liqe#query-syntax
 */
import { SyntaxError as LiqeSyntaxError, type LiteralExpressionToken, type ParserAst, parse, type TagToken } from 'liqe';
import {
  type Bound,
  FIELD_TYPES,
  type FieldName,
  type FieldRef,
  MATCH_ALL,
  type RootField,
  type UserQuery,
  type UserSort,
} from '../../adapters/queries/user-query-tree.js';
import { DomainError } from '../errors.js';

export const MAX_QUERY_BYTES = 4096;
/**
 * liqe's grammar builds an unquoted term one character at a time at quadratic cost, so a long
 * term holds the event loop (docs/benchmarks.md); quoted strings cost far less per character.
 */
export const MAX_UNQUOTED_TERM_CHARS = 320;
export const MAX_QUOTED_TERM_CHARS = 1024;

/**
 * A term with no field (`jane`) is a case-insensitive prefix match on any of these, as a
 * search box would do; quoted (`"Jane Doe"`), it must equal one of them.
 */
export const BARE_TERM_FIELDS = ['email', 'name', 'nickname', 'username'] as const satisfies readonly FieldName[];

// Deeper trees are no real search, and PostgreSQL's parser has a stack limit.
const MAX_DEPTH = 32;

interface LiftedRange {
  /** undefined for an open end (`*`). */
  readonly min: string | undefined;
  readonly max: string | undefined;
  readonly minInclusive: boolean;
  readonly maxInclusive: boolean;
  readonly minOffset: number;
  readonly maxOffset: number;
}

interface Source {
  readonly text: string;
  readonly ranges: ReadonlyMap<number, LiftedRange>;
}

const invalid = (message: string, field = 'q') => new DomainError('search.invalid_query', message, field);

function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

function failAt(source: Source, offset: number, message: string): never {
  throw invalid(`${message} (at ${position(source.text, offset)})`);
}

// What ends an unquoted term for liqe: white space, parentheses and quotes.
const TERM_BREAK = /[\s()"']/;

/** Refuses, before liqe sees it, any term longer than liqe parses cheaply, saying where it starts. */
function checkTermLengths(query: string): void {
  // The first character of the current term, or of the current quoted value's opening quote.
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i <= query.length; i += 1) {
    const char = query.charAt(i);
    if (quote) {
      if (char === '\\' && i + 1 < query.length) i += 1;
      else if (char === quote || i >= query.length) {
        if (i - start - 1 > MAX_QUOTED_TERM_CHARS) {
          throw invalid(`a quoted value is longer than ${MAX_QUOTED_TERM_CHARS} characters (at ${position(query, start)})`);
        }
        quote = undefined;
        start = i + 1;
      }
      continue;
    }
    if (i === query.length || TERM_BREAK.test(char)) {
      if (i - start > MAX_UNQUOTED_TERM_CHARS) {
        throw invalid(`a term is longer than ${MAX_UNQUOTED_TERM_CHARS} characters; quote a longer value (at ${position(query, start)})`);
      }
      if (char === '"' || char === "'") quote = char;
      start = quote ? i : i + 1;
    }
  }
}

const RANGE_END = String.raw`("(?:[^"\\]|\\.)*"|[^\s"\]}]+)`;
const RANGE = new RegExp(String.raw`[[{]\s*${RANGE_END}\s+TO\s+${RANGE_END}\s*[\]}]`, 'dy');

function rangeEnd(raw: string): string | undefined {
  if (raw === '*') return undefined;
  return raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
}

/**
 * liqe 3 only knows numeric ranges with both ends given, so each `field:[a TO b]` is lifted
 * out here and replaced by a quoted placeholder of the same length: liqe still parses the
 * structure, every offset stays true, and the placeholder's offset finds the range again.
 */
function liftRanges(query: string): Source {
  const ranges = new Map<number, LiftedRange>();
  let text = '';
  let quote: string | undefined;
  for (let i = 0; i < query.length; i += 1) {
    const char = query.charAt(i);
    if (quote) {
      if (char === '\\') {
        text += query.slice(i, i + 2);
        i += 1;
      } else {
        if (char === quote) quote = undefined;
        text += char;
      }
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    RANGE.lastIndex = i;
    const match = (char === '[' || char === '{') && query[i - 1] === ':' ? RANGE.exec(query) : null;
    if (!match?.indices) {
      text += char;
      continue;
    }
    const [whole, min = '', max = ''] = match;
    ranges.set(i, {
      min: rangeEnd(min),
      max: rangeEnd(max),
      minInclusive: char === '[',
      maxInclusive: whole.endsWith(']'),
      minOffset: match.indices[1]?.[0] ?? i,
      maxOffset: match.indices[2]?.[0] ?? i,
    });
    text += `"${' '.repeat(whole.length - 2)}"`;
    i += whole.length - 1;
  }
  return { text, ranges };
}

function parseLiqe(source: Source): ParserAst {
  try {
    return parse(source.text);
  } catch (error) {
    if (error instanceof LiqeSyntaxError) failAt(source, error.offset, 'syntax error');
    // liqe reports an input that stops mid-expression (`name:a AND`, `(a`) as a bare Error
    // without a position; everything else it refuses is a LiqeError.
    if (error instanceof Error && error.constructor === Error) {
      failAt(source, source.text.length, 'unexpected end of query');
    }
    throw error;
  }
}

function resolveField(source: Source, name: string, offset: number): FieldRef {
  if (Object.hasOwn(FIELD_TYPES, name)) {
    const field = name as FieldName;
    if (FIELD_TYPES[field] === 'metadata') failAt(source, offset, `"${name}" needs a key, as in ${name}.plan`);
    return { name: field, type: FIELD_TYPES[field], path: [] };
  }
  const [root = '', ...path] = name.split('.');
  if ((root === 'user_metadata' || root === 'app_metadata') && path.length > 0) {
    if (path.includes('')) failAt(source, offset, `"${name}" has an empty key`);
    return { name: root, type: 'metadata', path };
  }
  return failAt(source, offset, `unknown field "${name}"`);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const DAY_MS = 86_400_000;

/** An ISO 8601 date: a day-only date spans its UTC day up to `end`, an instant has no `end`. */
function parseDate(text: string): { start: Date; end?: Date } | undefined {
  const parts = DATE.exec(text);
  if (!parts) return undefined;
  const [, year, month, day, time, zone] = parts;
  const midnight = new Date(`${year}-${month}-${day}T00:00:00Z`);
  // Date rolls 2024-02-30 over to March; a real calendar day reads back the same.
  if (Number.isNaN(midnight.getTime()) || midnight.toISOString().slice(0, 10) !== `${year}-${month}-${day}`) return undefined;
  if (!time) return { start: midnight, end: new Date(midnight.getTime() + DAY_MS) };
  // No zone means UTC: the server's own zone must not change what a query finds.
  const instant = new Date(zone ? text : `${text}Z`);
  return Number.isNaN(instant.getTime()) ? undefined : { start: instant };
}

const INTEGER = /^-?\d{1,15}$/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;

type Side = 'min' | 'max';

/** One end of a range or comparison, typed by the field; day-only dates round as Elasticsearch does. */
function toBound(source: Source, field: FieldRef, text: string, inclusive: boolean, side: Side, offset: number, numeric: boolean): Bound {
  const { type } = field;
  switch (type) {
    case 'integer':
      if (!INTEGER.test(text)) failAt(source, offset, `"${field.name}" expects an integer, got "${text}"`);
      return { value: Number(text), inclusive };
    case 'date': {
      const date = parseDate(text);
      if (!date) failAt(source, offset, `"${field.name}" expects an ISO 8601 date, got "${text}"`);
      if (!date.end) return { value: date.start, inclusive };
      // `> day` and `<= day` mean after or up to the day's end; `>= day` and `< day`, its start.
      const atEnd = side === 'min' ? !inclusive : inclusive;
      return atEnd ? { value: date.end, inclusive: side === 'min' } : { value: date.start, inclusive: side === 'min' };
    }
    case 'boolean':
      return failAt(source, offset, `"${field.name}" is true or false and has no range`);
    case 'metadata':
      return { value: numeric ? Number(text) : text, inclusive };
    case 'text':
    case 'ci-text':
    case 'identity':
      return { value: text, inclusive };
  }
}

function rangeQuery(source: Source, field: FieldRef, range: LiftedRange): UserQuery {
  if (range.min === undefined && range.max === undefined) return { kind: 'exists', field };
  // Metadata has no declared type: both ends numeric compare numbers, otherwise text.
  const numeric = [range.min, range.max].every((end) => end === undefined || NUMBER.test(end));
  return {
    kind: 'range',
    field,
    ...(range.min === undefined ? {} : { min: toBound(source, field, range.min, range.minInclusive, 'min', range.minOffset, numeric) }),
    ...(range.max === undefined ? {} : { max: toBound(source, field, range.max, range.maxInclusive, 'max', range.maxOffset, numeric) }),
  };
}

// liqe's unquoted-term characters (its grammar's unquoted_value and decimal rules).
const UNQUOTED = /[\w#$*.?@\u0080-\uFFFF-]+/y;

/**
 * The literal as typed: liqe turns unquoted `007` into 7 and `true` into a boolean, and
 * measures a number's location from the number, so the text is read again from the query.
 */
function literalText(source: Source, literal: LiteralExpressionToken): string {
  if (literal.quoted) return literal.value;
  UNQUOTED.lastIndex = literal.location.start;
  return UNQUOTED.exec(source.text)?.[0] ?? String(literal.value);
}

/** A trailing `*` asks for a prefix; any other wildcard would need a scan, so it is refused. */
function splitWildcard(source: Source, literal: LiteralExpressionToken, text: string): { text: string; prefix: boolean } {
  if (literal.quoted) return { text, prefix: false };
  const prefix = text.endsWith('*');
  const stem = prefix ? text.slice(0, -1) : text;
  if (/[*?]/.test(stem)) failAt(source, literal.location.start, 'only a trailing * (prefix match) is supported');
  return { text: stem, prefix };
}

function matchQuery(source: Source, field: FieldRef, literal: LiteralExpressionToken): UserQuery {
  const raw = literalText(source, literal);
  if (!literal.quoted && raw === '*') return { kind: 'exists', field };
  const { text, prefix } = splitWildcard(source, literal, raw);
  const { type } = field;
  const offset = literal.location.start;
  if (prefix && (type === 'boolean' || type === 'integer' || type === 'date')) {
    failAt(source, offset, `prefix matching works on text fields, not on "${field.name}"`);
  }
  switch (type) {
    case 'boolean': {
      const lowered = text.toLowerCase();
      if (lowered !== 'true' && lowered !== 'false') failAt(source, offset, `"${field.name}" expects true or false, got "${text}"`);
      return { kind: 'match', field, value: lowered === 'true', prefix: false };
    }
    case 'integer':
      if (!INTEGER.test(text)) failAt(source, offset, `"${field.name}" expects an integer, got "${text}"`);
      return { kind: 'match', field, value: Number(text), prefix: false };
    case 'date': {
      const date = parseDate(text);
      if (!date) failAt(source, offset, `"${field.name}" expects an ISO 8601 date, got "${text}"`);
      const max = date.end ? { value: date.end, inclusive: false } : { value: date.start, inclusive: true };
      return { kind: 'range', field, min: { value: date.start, inclusive: true }, max };
    }
    case 'metadata':
      // Unquoted `30` or `true` may be stored as the JSON number or boolean, or as the string a
      // form submitted: match either. Quotes ask for the string only.
      if (!prefix && !literal.quoted && typeof literal.value !== 'string') {
        return {
          kind: 'or',
          operands: [
            { kind: 'match', field, value: literal.value, prefix: false },
            { kind: 'match', field, value: text, prefix: false },
          ],
        };
      }
      return { kind: 'match', field, value: text, prefix };
    case 'text':
    case 'ci-text':
    case 'identity':
      return { kind: 'match', field, value: text, prefix };
  }
}

const COMPARISONS = {
  ':>': { side: 'min', inclusive: false },
  ':>=': { side: 'min', inclusive: true },
  ':<': { side: 'max', inclusive: false },
  ':<=': { side: 'max', inclusive: true },
} as const;

function comparisonQuery(source: Source, field: FieldRef, operator: keyof typeof COMPARISONS, literal: LiteralExpressionToken): UserQuery {
  const { side, inclusive } = COMPARISONS[operator];
  const text = literalText(source, literal);
  const bound = toBound(source, field, text, inclusive, side, literal.location.start, NUMBER.test(text));
  return side === 'min' ? { kind: 'range', field, min: bound } : { kind: 'range', field, max: bound };
}

function bareTermQuery(source: Source, literal: LiteralExpressionToken): UserQuery {
  const raw = literalText(source, literal);
  if (!literal.quoted && raw === '*') return MATCH_ALL;
  const { text } = splitWildcard(source, literal, raw);
  return {
    kind: 'or',
    operands: BARE_TERM_FIELDS.map((name) => ({
      kind: 'match',
      field: { name, type: FIELD_TYPES[name], path: [] },
      value: text,
      prefix: !literal.quoted,
    })),
  };
}

function tagQuery(source: Source, tag: TagToken): UserQuery {
  const { expression } = tag;
  if (expression.type === 'RegexExpression') failAt(source, expression.location.start, 'regular expressions are not supported');
  if (tag.field.type === 'ImplicitField') {
    if (expression.type !== 'LiteralExpression') return failAt(source, tag.location.start, 'syntax error');
    return bareTermQuery(source, expression);
  }
  const fieldName = tag.field.name;
  if (expression.type === 'EmptyExpression') failAt(source, expression.location.start, `missing value for "${fieldName}"`);
  // liqe's own numeric range only follows `:=` here; `field:[a TO b]` was lifted out before.
  if (expression.type === 'RangeExpression') failAt(source, tag.operator.location.start, 'a range is written field:[a TO b]');
  const { operator } = tag.operator;
  if (fieldName === '_exists_') {
    if (operator !== ':') failAt(source, tag.operator.location.start, '_exists_ takes a field name, as in _exists_:email,');
    return { kind: 'exists', field: resolveField(source, literalText(source, expression), expression.location.start) };
  }
  const field = resolveField(source, fieldName, tag.field.location.start);
  const range = expression.quoted ? source.ranges.get(expression.location.start) : undefined;
  if (range) return rangeQuery(source, field, range);
  if (operator === ':' || operator === ':=') return matchQuery(source, field, expression);
  return comparisonQuery(source, field, operator, expression);
}

// Parentheses and NOTs a query may stack before it is refused; the tree's own limit is MAX_DEPTH.
const MAX_SYNTAX_NESTING = 4 * MAX_DEPTH;

const logicalKind = (node: ParserAst) => (node.type === 'LogicalExpression' ? (node.operator.operator === 'OR' ? 'or' : 'and') : undefined);

function toQuery(source: Source, node: ParserAst, nesting = 0): UserQuery {
  if (nesting > MAX_SYNTAX_NESTING) throw invalid(`q nests deeper than ${MAX_DEPTH} levels`);
  switch (node.type) {
    case 'EmptyExpression':
      return failAt(source, node.location.start, 'empty expression');
    case 'ParenthesizedExpression':
      return toQuery(source, node.expression, nesting + 1);
    case 'UnaryOperator':
      return { kind: 'not', operand: toQuery(source, node.operand, nesting + 1) };
    case 'Tag':
      return tagQuery(source, node);
    case 'LogicalExpression': {
      // liqe nests `a OR b OR c` to the left: its spine is walked in a loop, so a chain of
      // 2,000 terms costs no stack, and becomes one flat list, so the tree stays shallow.
      const kind = node.operator.operator === 'OR' ? 'or' : 'and';
      const sides: ParserAst[] = [];
      let left: ParserAst = node;
      while (left.type === 'LogicalExpression' && logicalKind(left) === kind) {
        sides.push(left.right);
        left = left.left;
      }
      sides.push(left);
      const operands = sides.reverse().flatMap((side) => {
        const operand = toQuery(source, side, nesting + 1);
        return operand.kind === kind ? operand.operands : [operand];
      });
      return { kind, operands };
    }
  }
}

function depth(query: UserQuery): number {
  if (query.kind === 'not') return 1 + depth(query.operand);
  if (query.kind === 'and' || query.kind === 'or') return 1 + Math.max(0, ...query.operands.map(depth));
  return 0;
}

/**
 * Parses `q`. Terms side by side are ANDed (liqe's reading); `-term` is `NOT term`; an empty
 * `q` matches every user. A value with characters beyond letters, digits and `_ . @ - # $`
 * (an E.164 `+`, a `user_id`'s `|`, a space, an instant's `:`) is quoted, as in Lucene; a
 * range end needs quotes only for a space.
 * Throws `search.invalid_query` naming the line and column where the query goes wrong.
 */
export function parseUserQuery(q: string): UserQuery {
  if (Buffer.byteLength(q, 'utf8') > MAX_QUERY_BYTES) throw invalid(`q is longer than ${MAX_QUERY_BYTES} bytes`);
  checkTermLengths(q);
  const source = liftRanges(q);
  const ast = parseLiqe(source);
  if (ast.type === 'EmptyExpression') return MATCH_ALL;
  const query = toQuery(source, ast);
  if (depth(query) > MAX_DEPTH) throw invalid(`q nests deeper than ${MAX_DEPTH} levels`);
  return query;
}

const SORT = /^([a-z_]+):(1|-1)$/;

/** Parses users.list's `sort` (`"field:1"` ascending, `"field:-1"` descending) over root attributes. */
export function parseUserSort(sort: string): UserSort {
  const [, name = '', direction] = SORT.exec(sort) ?? [];
  if (!direction) throw invalid('sort must look like "created_at:1" or "created_at:-1"', 'sort');
  const type = Object.hasOwn(FIELD_TYPES, name) ? FIELD_TYPES[name as FieldName] : undefined;
  if (!type || type === 'identity' || type === 'metadata') throw invalid(`cannot sort by "${name}"`, 'sort');
  return { field: name as RootField, direction: direction === '1' ? 1 : -1 };
}
