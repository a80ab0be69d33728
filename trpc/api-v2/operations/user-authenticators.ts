/**
 * A user's second factors: Auth0's /users/{id}/authentication-methods and /users/{id}/authenticators
 * over users.authenticators.* and users.resetMfa. Tessera's factors are shown in Auth0's
 * authentication-method shape; paging a user's handful of factors is done on the listed answer.
 */
import { z } from 'zod';
import { DomainError } from '../../../server/errors.js';
import { type Authenticator, authenticatorIdSchema, authenticatorSchema } from '../../../server/mfa/authenticator-schemas.js';
import { userIdSchema } from '../../../server/users/user-schemas.js';
import { operation } from '../operation.js';
import { queryBoolean, queryInteger } from '../query-params.js';

const userIdParams = z.strictObject({ id: userIdSchema });
const methodParams = z.strictObject({ id: userIdSchema, authentication_method_id: authenticatorIdSchema });

const DEFAULT_PER_PAGE = 50;

const listQuery = z.strictObject({
  page: queryInteger(0, 1_000_000).optional(),
  per_page: queryInteger(1, 100).optional(),
  include_totals: queryBoolean.optional(),
});

/** Auth0's names: Tessera's passkeys are discoverable credentials that also sign in, Auth0's `passkey`. */
const AUTH0_TYPE = { totp: 'totp', webauthn: 'passkey', 'recovery-code': 'recovery-code' } as const satisfies Record<
  Authenticator['type'],
  string
>;

/** Auth0's UserAuthenticationMethod, as far as Tessera's factors fill it. */
const authenticationMethodSchema = z.object({
  id: z.string(),
  type: z.enum(Object.values(AUTH0_TYPE)),
  confirmed: z.boolean(),
  name: z.string(),
  created_at: z.string(),
  enrolled_at: z.string(),
  last_auth_at: z.string().optional(),
});
type AuthenticationMethod = z.infer<typeof authenticationMethodSchema>;

/** One factor as Auth0's UserAuthenticationMethod: every factor listed is confirmed (an unconfirmed enrolment is no factor yet). */
function authenticationMethod(factor: Authenticator): AuthenticationMethod {
  return {
    id: factor.id,
    type: AUTH0_TYPE[factor.type],
    confirmed: true,
    name: factor.name,
    created_at: factor.created_at,
    enrolled_at: factor.created_at,
    ...(factor.last_used_at ? { last_auth_at: factor.last_used_at } : {}),
  };
}

export const userAuthenticatorOperations = [
  operation({
    method: 'get',
    path: '/users/{id}/authentication-methods',
    operationId: 'get_authentication_methods',
    summary: "List a user's second factors",
    tag: 'Users',
    procedure: 'users.authenticators.list',
    params: userIdParams,
    query: listQuery,
    input: ({ params }) => ({ id: params.id }),
    output: (factors, { query }) => {
      const limit = query.per_page ?? DEFAULT_PER_PAGE;
      const start = (query.page ?? 0) * limit;
      const page = factors.slice(start, start + limit).map(authenticationMethod);
      return query.include_totals === true ? { start, limit, total: factors.length, authenticators: page } : page;
    },
    response: z.union([
      z.array(authenticationMethodSchema),
      z.object({
        start: z.number().int(),
        limit: z.number().int(),
        total: z.number().int(),
        authenticators: z.array(authenticationMethodSchema),
      }),
    ]),
  }),
  operation({
    method: 'get',
    path: '/users/{id}/authentication-methods/{authentication_method_id}',
    operationId: 'get_authentication_methods_by_authentication_method_id',
    summary: 'Get one of a user’s second factors',
    tag: 'Users',
    procedure: 'users.authenticators.list',
    params: methodParams,
    input: ({ params }) => ({ id: params.id }),
    output: (factors, { params }) => {
      const factor = factors.find((candidate) => candidate.id === params.authentication_method_id);
      if (!factor) {
        throw new DomainError(
          'authenticator.not_found',
          `no authenticator ${params.authentication_method_id} for this user`,
          'authentication_method_id',
        );
      }
      return authenticationMethod(factor);
    },
    response: authenticationMethodSchema,
  }),
  operation({
    method: 'delete',
    path: '/users/{id}/authentication-methods/{authentication_method_id}',
    operationId: 'delete_authentication_methods_by_authentication_method_id',
    summary: 'Remove one of a user’s second factors',
    tag: 'Users',
    procedure: 'users.authenticators.delete',
    params: methodParams,
    input: ({ params }) => ({ id: params.id, authenticator_id: params.authentication_method_id }),
    status: 204,
  }),
  operation({
    method: 'delete',
    path: '/users/{id}/authentication-methods',
    operationId: 'delete_authentication_methods',
    summary: 'Remove every second factor of a user',
    tag: 'Users',
    procedure: 'users.resetMfa',
    params: userIdParams,
    input: ({ params }) => ({ id: params.id }),
    status: 204,
  }),
  operation({
    method: 'get',
    path: '/users/{id}/authenticators',
    operationId: 'get_authenticators',
    summary: "List a user's second factors in Tessera's shape",
    tag: 'Users',
    procedure: 'users.authenticators.list',
    params: userIdParams,
    input: ({ params }) => ({ id: params.id }),
    response: z.array(authenticatorSchema),
  }),
  operation({
    method: 'delete',
    path: '/users/{id}/authenticators',
    operationId: 'delete_all_authenticators',
    summary: 'Reset a user’s MFA: remove every second factor',
    tag: 'Users',
    procedure: 'users.resetMfa',
    params: userIdParams,
    input: ({ params }) => ({ id: params.id }),
    status: 204,
  }),
];
