/**
 * One operation of the Auth0-compatible Management API v2: Auth0's method, path and request
 * shapes, and the tRPC procedure that does the work. The procedure is the one implementation: it
 * checks the scope, counts the caller's limit and validates its own input again; an operation only
 * translates Auth0's request into that input and the procedure's answer into Auth0's shape.
 */
import type { z } from 'zod';
import type { InputOf, OutputOf, ProcedurePath } from './procedure-paths.js';

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** The request as the operation's schemas parsed it. */
export interface OperationRequest<Params, Query, Body> {
  params: Params;
  query: Query;
  body: Body;
}

type Schema = z.ZodType;
type Out<S extends Schema | undefined> = S extends Schema ? z.output<S> : undefined;

export interface OperationSpec<
  Path extends ProcedurePath,
  Params extends Schema | undefined,
  Query extends Schema | undefined,
  Body extends Schema | undefined,
> {
  method: HttpMethod;
  /** Below /api/v2, in OpenAPI's form: `/users/{id}`. */
  path: string;
  /** Auth0's operationId where it has one (`get_users`), so generated clients keep their method names. */
  operationId: string;
  summary: string;
  /** The explorer's section: Users, Clients, Connections, Jobs, Tickets. */
  tag: string;
  procedure: Path;
  params?: Params;
  query?: Query;
  body?: Body;
  /** JSON unless said: the users import is a multipart/form-data upload. */
  bodyType?: 'json' | 'multipart';
  input(request: OperationRequest<Out<Params>, Out<Query>, Out<Body>>): InputOf<Path>;
  /** Auth0's shape of the procedure's answer; the answer itself when absent. */
  output?(result: OutputOf<Path>, request: OperationRequest<Out<Params>, Out<Query>, Out<Body>>): unknown;
  /** 200 unless said; 204 sends no body. */
  status?: 200 | 201 | 202 | 204;
  /** The documented answer, for the OpenAPI document. */
  response?: Schema;
}

/** An operation with its types erased, as the route table and the OpenAPI document hold them. */
export interface Operation {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  procedure: ProcedurePath;
  params?: Schema | undefined;
  query?: Schema | undefined;
  body?: Schema | undefined;
  bodyType: 'json' | 'multipart';
  input(request: OperationRequest<unknown, unknown, unknown>): unknown;
  output(result: unknown, request: OperationRequest<unknown, unknown, unknown>): unknown;
  status: 200 | 201 | 202 | 204;
  response?: Schema | undefined;
}

export function operation<
  const Path extends ProcedurePath,
  Params extends Schema | undefined = undefined,
  Query extends Schema | undefined = undefined,
  Body extends Schema | undefined = undefined,
>(spec: OperationSpec<Path, Params, Query, Body>): Operation {
  const { output } = spec;
  return {
    ...spec,
    bodyType: spec.bodyType ?? 'json',
    status: spec.status ?? 200,
    input: spec.input as Operation['input'],
    output: output ? (output as Operation['output']) : (result) => result,
  };
}
