/**
 * The OpenAPI 3.1 document of the Management API v2, generated from the operation table: each
 * operation's path, method and names, its parameters and body from the zod schemas the routes
 * parse with (as the client sends them, before transforms), its documented answer, Auth0's error
 * body, and the scopes its tRPC procedure declares in its meta. Nothing here names an operation:
 * an operation added to the table is in the document. A multipart field that is a file says so in
 * its schema, `.meta({ format: 'binary' })` (zod writes its meta into the JSON Schema), unless it is
 * a `z.instanceof`/`z.custom`, which is taken for one.
 * @see https://spec.openapis.org/oas/v3.1.0
 */
import type { AnyProcedure } from '@trpc/server';
import { z } from 'zod';
import { managementAudience } from '../../server/oidc/management-api.js';
import type { ProcedureMeta } from '../trpc.js';
import type { Operation } from './operation.js';

type JsonSchema = { [key: string]: unknown };
type Io = 'input' | 'output';

/** Auth0's error body (auth0-errors.ts), as every refusal answers. */
const auth0ErrorSchema = z
  .object({
    statusCode: z.number().int().describe('The HTTP status, again'),
    error: z.string().describe("The status' name: Bad Request, Unauthorized, …"),
    message: z.string(),
    errorCode: z.string().optional().describe('A stable code: invalid_body, insufficient_scope, inexistent_user, …'),
  })
  .describe("Auth0's error body");

const REFUSALS = {
  BadRequest: ['400', 'The path, query or body does not parse (errorCode invalid_uri, invalid_query_string, invalid_body)'],
  Unauthorized: ['401', 'No bearer token, or one that is not valid for this API'],
  Forbidden: ['403', 'The token lacks a scope the operation needs (errorCode insufficient_scope)'],
  NotFound: ['404', 'The resource named in the path is not there'],
  TooManyRequests: ['429', "The caller's request limit is reached: wait for x-ratelimit-reset"],
} as const;

const RATE_LIMIT_HEADERS = {
  'x-ratelimit-limit': 'Requests the caller may make in the current window',
  'x-ratelimit-remaining': 'Requests left in the current window',
  'x-ratelimit-reset': 'When the window ends, in seconds since the epoch',
} as const;

const rateLimitHeaders = Object.fromEntries(
  Object.keys(RATE_LIMIT_HEADERS).map((name) => [name, { $ref: `#/components/headers/${name}` }]),
);

/**
 * What a schema zod cannot describe becomes: anything (`{}`), except in a multipart body, where a
 * `z.instanceof(Buffer)` or `z.custom` field is the uploaded file, a binary string to OpenAPI
 * (`z.file()` says so itself).
 */
function unrepresentable(multipart: boolean): z.core.UnrepresentableHandler<z.core.$ZodTypes> {
  return ({ zodSchema }) => (multipart && zodSchema._zod.def.type === 'custom' ? { type: 'string', format: 'binary' } : 'any');
}

/** Rewrites every `$ref` of a schema zod wrote alone into the document's components. */
function moveRefs(value: unknown, refs: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => moveRefs(item, refs));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string' ? (refs.get(item) ?? item) : moveRefs(item, refs),
    ]),
  );
}

/**
 * JSON Schemas for the document. zod writes each schema as a document of its own: its `$defs`
 * (recursive or registered schemas) become components, and its refs (`#/$defs/…`, `#` for itself)
 * are rewritten to point there.
 */
class Schemas {
  readonly components: Record<string, JsonSchema> = {};

  of(schema: z.ZodType, io: Io, name: string, multipart = false): JsonSchema {
    const written = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: unrepresentable(multipart) }) as JsonSchema;
    const { $schema: _dialect, $defs, ...root } = written;
    const defs = Object.entries(($defs ?? {}) as Record<string, JsonSchema>).map(([key, def]) => ({
      key,
      def,
      name: this.nameFor(key, def),
    }));
    const refs = new Map(defs.map(({ key, name }) => [`#/$defs/${key}`, `#/components/schemas/${name}`]));
    const rootName = JSON.stringify(root).includes('"$ref":"#"') ? this.nameFor(name) : undefined;
    if (rootName) refs.set('#', `#/components/schemas/${rootName}`);
    for (const { def, name } of defs) this.components[name] = moveRefs(def, refs) as JsonSchema;
    if (!rootName) return moveRefs(root, refs) as JsonSchema;
    this.components[rootName] = moveRefs(root, refs) as JsonSchema;
    return { $ref: `#/components/schemas/${rootName}` };
  }

  /**
   * A component's name: the wanted one, kept by the same schema met again (a registered schema two
   * operations use); a different schema under a name already taken gets a number.
   */
  private nameFor(wanted: string, schema?: JsonSchema): string {
    const base = wanted.replace(/[^A-Za-z0-9._-]/g, '_');
    let name = base;
    for (let n = 2; name in this.components; n += 1) {
      if (schema && JSON.stringify(this.components[name]) === JSON.stringify(schema)) return name;
      name = `${base}_${n}`;
    }
    this.components[name] = {};
    return name;
  }
}

/** The properties of an object schema (or of its branches: a union or intersection of objects), with whether each is required. */
function propertiesOf(schema: JsonSchema): Array<{ name: string; schema: JsonSchema; required: boolean }> {
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema['required'] ?? []) as string[]);
  const found = new Map(
    Object.entries(properties).map(([name, property]) => [name, { name, schema: property, required: required.has(name) }]),
  );
  // A branch's properties are optional: another branch may do without them.
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    for (const branch of (schema[key] ?? []) as JsonSchema[]) {
      for (const property of propertiesOf(branch))
        if (!found.has(property.name)) found.set(property.name, { ...property, required: false });
    }
  }
  return [...found.values()];
}

const SCALAR_TYPES: ReadonlySet<unknown> = new Set(['integer', 'number', 'boolean']);

/**
 * A parameter's schema. A query string or path holds strings, which the operation's schema turns
 * into numbers and booleans (query-params.ts); OpenAPI describes such a parameter by the value it
 * stands for (`integer`, 0 to 100), so that is written where the string's schema says less.
 */
function parameterSchema(input: JsonSchema, output: JsonSchema | undefined): JsonSchema {
  if (input['type'] !== 'string' || !output || !SCALAR_TYPES.has(output['type'])) return input;
  return output;
}

function parameters(schemas: Schemas, op: Operation): unknown[] {
  const parts = [
    ['path', op.params],
    ['query', op.query],
  ] as const;
  return parts.flatMap(([where, schema]) => {
    if (!schema) return [];
    const outputs = new Map(
      propertiesOf(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema).map((p) => [p.name, p.schema]),
    );
    return propertiesOf(schemas.of(schema, 'input', `${op.operationId}_${where}`)).map(({ name, schema: property, required }) => {
      const { description, ...rest } = parameterSchema(property, outputs.get(name));
      const said = description ?? property['description'];
      return {
        name,
        in: where,
        required: where === 'path' || required,
        ...(typeof said === 'string' ? { description: said } : {}),
        schema: rest,
      };
    });
  });
}

function acceptsNothing(schema: z.ZodType): boolean {
  try {
    return schema.safeParse(undefined).success;
  } catch {
    return false;
  }
}

function requestBody(schemas: Schemas, op: Operation) {
  if (!op.body) return {};
  const multipart = op.bodyType === 'multipart';
  const schema = schemas.of(op.body, 'input', `${op.operationId}_body`, multipart);
  const mediaType = multipart ? 'multipart/form-data' : 'application/json';
  return { requestBody: { required: !acceptsNothing(op.body), content: { [mediaType]: { schema } } } };
}

function success(schemas: Schemas, op: Operation) {
  if (op.status === 204) return { description: 'Done; no body', headers: rateLimitHeaders };
  const content = op.response
    ? { content: { 'application/json': { schema: schemas.of(op.response, 'output', `${op.operationId}_response`) } } }
    : {};
  return { description: op.status === 201 ? 'Created' : op.status === 202 ? 'Accepted' : 'OK', headers: rateLimitHeaders, ...content };
}

function refusals(op: Operation) {
  const possible: Array<keyof typeof REFUSALS> = [
    ...(op.params || op.query || op.body ? (['BadRequest'] as const) : []),
    'Unauthorized',
    'Forbidden',
    ...(op.params ? (['NotFound'] as const) : []),
    'TooManyRequests',
  ];
  return Object.fromEntries(possible.map((name) => [REFUSALS[name][0], { $ref: `#/components/responses/${name}` }]));
}

function describe(op: Operation, scopes: readonly string[]): string {
  const needs = scopes.length > 0 ? scopes.map((scope) => `\`${scope}\``).join(', ') : 'none beyond a valid token';
  return `${op.summary.replace(/\.$/, '')}.\n\n**Scopes:** ${needs}.\n\nThe tRPC procedure \`${op.procedure}\` does the same.`;
}

/** The scopes a procedure declares (requireScope sets them in its meta). */
export function scopesOf(procedures: Readonly<Record<string, AnyProcedure | undefined>>, op: Operation): readonly string[] {
  const procedure = procedures[op.procedure];
  if (!procedure) throw new Error(`API v2 operation ${op.operationId} names no procedure ${op.procedure}`);
  return (procedure._def.meta as ProcedureMeta | undefined)?.scopes ?? [];
}

export interface OpenApiSource {
  issuer: string;
  /** Where the API is below the issuer: `/api/v2`. */
  prefix: string;
  operations: readonly Operation[];
  /** The tRPC router's procedures by dotted path, whose meta holds the scopes. */
  procedures: Readonly<Record<string, AnyProcedure | undefined>>;
}

export function openApiDocument({ issuer, prefix, operations, procedures }: OpenApiSource) {
  const schemas = new Schemas();
  // First, so that no operation's schema takes its name.
  schemas.components['Auth0Error'] = schemas.of(auth0ErrorSchema, 'output', 'Auth0Error');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const scopes = scopesOf(procedures, op);
    const pathItem = paths[op.path] ?? {};
    paths[op.path] = pathItem;
    pathItem[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      description: describe(op, scopes),
      tags: [op.tag],
      security: [{ bearer: [...scopes] }],
      'x-scopes': [...scopes],
      parameters: parameters(schemas, op),
      ...requestBody(schemas, op),
      responses: { [String(op.status)]: success(schemas, op), ...refusals(op) },
    };
  }
  const tags = [...new Set(operations.map((op) => op.tag))].map((name) => ({ name }));
  const audience = managementAudience(issuer);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tessera Management API v2',
      version: '2',
      description:
        "Auth0's Management API v2 paths, bodies and error body, served by Tessera over the same procedures as its tRPC API. " +
        `Every call takes a bearer token for the audience \`${audience}\` (the client_credentials grant at \`${issuer}/oauth/token\` ` +
        'gives one) holding the scopes each operation lists.',
    },
    servers: [{ url: `${issuer}${prefix}` }],
    tags,
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `An access token for the audience ${audience}; each operation lists the scopes it needs.`,
        },
      },
      schemas: schemas.components,
      responses: Object.fromEntries(
        Object.entries(REFUSALS).map(([name, [, description]]) => [
          name,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Auth0Error' } } } },
        ]),
      ),
      headers: Object.fromEntries(
        Object.entries(RATE_LIMIT_HEADERS).map(([name, description]) => [name, { description, schema: { type: 'integer' } }]),
      ),
    },
  };
}
