// Scalar's own parser (a dependency of @scalar/api-reference): the OpenAPI 3.1 JSON Schema, checked with ajv.
import { validate } from '@scalar/openapi-parser';
import type { AnyProcedure } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MANAGEMENT_SCOPES } from '../../../server/oidc/management-api.js';
import { openApiDocument } from '../../../trpc/api-v2/openapi.js';
import { type Operation, operation } from '../../../trpc/api-v2/operation.js';
import { API_V2_OPERATIONS } from '../../../trpc/api-v2/operations/index.js';
import { queryBoolean, queryInteger } from '../../../trpc/api-v2/query-params.js';
import { appRouter } from '../../../trpc/routers/_app.js';
import { jobIdSchema } from '../../../trpc/routers/jobs.js';
import type { ProcedureMeta } from '../../../trpc/trpc.js';

const ISSUER = 'https://id.example.com';
const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure | undefined>;

type OperationObject = {
  operationId: string;
  tags: string[];
  description: string;
  security: Array<Record<string, string[]>>;
  parameters: Array<{ name: string; in: string; required: boolean; description?: string; schema: Record<string, unknown> }>;
  requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
};

function documentOf(operations: readonly Operation[]) {
  const document = openApiDocument({ issuer: ISSUER, prefix: '/api/v2', operations, procedures });
  return { document, operationAt: (path: string, method: string) => (document.paths[path]?.[method] ?? {}) as OperationObject };
}

/** Every `$ref` in the document, and what it points at. */
function refsOf(document: unknown): Array<{ ref: string; target: unknown }> {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object')
      for (const [key, item] of Object.entries(value)) key === '$ref' && typeof item === 'string' ? found.push(item) : walk(item);
  };
  walk(document);
  return found.map((ref) => ({
    ref,
    target: ref
      .slice(2)
      .split('/')
      .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((at, segment) => (at as Record<string, unknown> | undefined)?.[segment], document),
  }));
}

const declaredScopes = (op: Operation) => (procedures[op.procedure]?._def.meta as ProcedureMeta | undefined)?.scopes ?? [];

/** An operation no table holds, with every kind of schema the generator must read: the test of "any operation". */
interface Node {
  name: string;
  children?: Node[] | undefined;
}
const node: z.ZodType<Node> = z.object({
  name: z.string(),
  get children() {
    return z.array(node).optional();
  },
});
const rehearsal = operation({
  method: 'post',
  path: '/jobs/{id}/rehearsals',
  operationId: 'post_rehearsal',
  summary: 'Rehearse an import',
  tag: 'Rehearsals',
  procedure: 'jobs.get',
  params: z.strictObject({ id: jobIdSchema }),
  query: z.strictObject({ page: queryInteger(0, 50).optional(), dry_run: queryBoolean }),
  body: z.strictObject({ users: z.instanceof(Buffer), upsert: queryBoolean.optional() }),
  bodyType: 'multipart',
  input: ({ params }) => ({ id: params.id }),
  status: 202,
  response: z.object({ id: z.string(), status: z.enum(['pending', 'completed']), tree: node }),
});
const registered = operation({
  method: 'put',
  path: '/rehearsals/{id}',
  operationId: 'put_rehearsal',
  summary: 'Replace a rehearsal.',
  tag: 'Rehearsals',
  procedure: 'users.get',
  params: z.strictObject({ id: z.string() }),
  body: z.object({
    limit: z.string().regex(/^\d+$/).transform(Number),
    owner: z.object({ email: z.email() }).meta({ id: 'RehearsalOwner' }),
  }),
  input: ({ params }) => ({ id: params.id }),
});

describe('the OpenAPI document of /api/v2, generated from the operation table', () => {
  it('is a valid OpenAPI 3.1 document whose every $ref resolves', async () => {
    for (const operations of [API_V2_OPERATIONS, [...API_V2_OPERATIONS, rehearsal, registered]]) {
      const { document } = documentOf(operations);
      expect(document.openapi).toBe('3.1.0');
      const result = await validate(structuredClone(document));
      expect(result.errors).toEqual([]);
      expect(result.valid).toBe(true);
      expect(refsOf(document).filter(({ target }) => target === undefined)).toEqual([]);
    }
  });

  it('lists every operation of the table with its names, path parameters and the scopes its procedure declares', () => {
    const { document, operationAt } = documentOf(API_V2_OPERATIONS);
    expect(API_V2_OPERATIONS.length).toBeGreaterThan(0);
    for (const op of API_V2_OPERATIONS) {
      const described = operationAt(op.path, op.method);
      expect(described.operationId).toBe(op.operationId);
      expect(described.tags).toEqual([op.tag]);
      const scopes = declaredScopes(op);
      expect(scopes.length).toBeGreaterThan(0);
      for (const scope of scopes) {
        expect(MANAGEMENT_SCOPES).toContain(scope);
        expect(described.description).toContain(`\`${scope}\``);
      }
      expect(described.security).toEqual([{ bearer: [...scopes] }]);
      const pathNames = [...op.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      expect(described.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(pathNames);
      expect(described.parameters.filter((p) => p.in === 'path').every((p) => p.required)).toBe(true);
      expect(Object.keys(described.responses)).toContain(String(op.status));
      expect(described.responses['401']).toEqual({ $ref: '#/components/responses/Unauthorized' });
    }
    expect(new Set(document.tags.map((tag) => tag.name))).toEqual(new Set(API_V2_OPERATIONS.map((op) => op.tag)));
    expect(operationAt('/users/{id}', 'get').security).toEqual([{ bearer: ['read:users'] }]);
    expect(operationAt('/users/{id}', 'delete').security).toEqual([{ bearer: ['delete:users'] }]);
  });

  it('names the server, the bearer scheme and Auth0’s error body', () => {
    const { document } = documentOf(API_V2_OPERATIONS);
    expect(document.servers).toEqual([{ url: `${ISSUER}/api/v2` }]);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(document.components.securitySchemes.bearer.description).toContain(`${ISSUER}/api/v2/`);
    expect(document.components.schemas['Auth0Error']).toMatchObject({
      type: 'object',
      required: ['statusCode', 'error', 'message'],
      properties: {
        statusCode: { type: 'integer' },
        error: { type: 'string' },
        message: { type: 'string' },
        errorCode: { type: 'string' },
      },
    });
    expect(document.components.responses['Forbidden']?.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Auth0Error',
    });
  });

  it('documents an operation added to the table, with the parameters and body a client sends and its answer', () => {
    const { document, operationAt } = documentOf([...API_V2_OPERATIONS, rehearsal, registered]);
    const described = operationAt('/jobs/{id}/rehearsals', 'post');
    expect(described.operationId).toBe('post_rehearsal');
    expect(described.tags).toEqual(['Rehearsals']);
    expect(described.security).toEqual([{ bearer: ['read:users'] }]);
    expect(described.description).toContain('**Scopes:** `read:users`');
    expect(document.tags.map((tag) => tag.name)).toContain('Rehearsals');
    expect(described.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^job_[A-Za-z0-9_-]{1,64}$' } },
      // The string a query holds, described by the number it stands for.
      { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 50 } },
      { name: 'dry_run', in: 'query', required: true, description: 'true or false', schema: { type: 'string', enum: ['true', 'false'] } },
    ]);
    expect(described.requestBody).toEqual({
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: {
              users: { type: 'string', format: 'binary' },
              upsert: { type: 'string', enum: ['true', 'false'], description: 'true or false' },
            },
            required: ['users'],
            additionalProperties: false,
          },
        },
      },
    });
    const answer = described.responses['202'] as { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    expect(answer.content['application/json']?.schema.properties['status']).toEqual({ type: 'string', enum: ['pending', 'completed'] });
    expect(Object.keys(described.responses)).toEqual(['202', '400', '401', '403', '404', '429']);

    // Input, not output: the transform's string; a registered schema is a component of the document.
    const replaced = operationAt('/rehearsals/{id}', 'put');
    expect(replaced.description).toMatch(/^Replace a rehearsal\.\n/);
    const body = replaced.requestBody?.content['application/json']?.schema as { properties: Record<string, unknown> };
    expect(body.properties['limit']).toEqual({ type: 'string', pattern: '^\\d+$' });
    expect(body.properties['owner']).toEqual({ $ref: '#/components/schemas/RehearsalOwner' });
    expect(document.components.schemas['RehearsalOwner']).toMatchObject({ type: 'object', properties: { email: { format: 'email' } } });
  });
});
