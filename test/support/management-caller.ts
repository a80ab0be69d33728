/**
 * The management API without HTTP, as tRPC's own examples test procedures: a real Tessera opened
 * without its server, and the real router called through createCaller by a caller whose scopes
 * the test chooses. Errors read as a @trpc/client would see them (code, message, field).
 */
import { TRPCError } from '@trpc/server';
import { createLogger } from '../../server/logger.js';
import type { ApiCaller } from '../../server/oidc/access-tokens.js';
import { MANAGEMENT_SCOPES, type ManagementScope, type SelfServiceScope } from '../../server/oidc/management-api.js';
import { openTessera, type TesseraCore } from '../../server/tessera.js';
import { appRouter } from '../../trpc/routers/_app.js';
import { createCallerFactory, describeError } from '../../trpc/trpc.js';
import { type TestTesseraOptions, testConfig } from './tessera.js';

const createCaller = createCallerFactory(appRouter);

export type Caller = ReturnType<typeof createCaller>;

export interface CallerTessera extends TesseraCore {
  /** A machine client holding exactly these scopes. */
  as(scopes: ReadonlyArray<ManagementScope | SelfServiceScope>, caller?: Partial<Omit<ApiCaller, 'scopes'>>): Caller;
  /** A machine client holding every management scope but this one. */
  allBut(scope: ManagementScope): Caller;
  /** No bearer token at all. */
  anonymous(): Caller;
}

export async function openCallerTessera(options: TestTesseraOptions = {}): Promise<CallerTessera> {
  const { config } = await testConfig(options);
  const core = await openTessera(config, options.logger ?? createLogger(config.logLevel));
  const services = core.services.management;
  const as: CallerTessera['as'] = (scopes, caller = {}) =>
    createCaller({
      services,
      caller: { subject: 'caller-test', clientId: 'caller-test', kind: 'client', ...caller, scopes: new Set(scopes) },
      authProblem: undefined,
    });
  return {
    ...core,
    as,
    allBut: (scope) => as(MANAGEMENT_SCOPES.filter((held) => held !== scope)),
    anonymous: () => createCaller({ services, caller: undefined, authProblem: 'missing bearer token' }),
  };
}

/** How a call failed, as a @trpc/client would be told: the code, the message and the field at fault. */
export async function callErrorOf(call: Promise<unknown>): Promise<{ code: string; message: string; field?: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCError) return { code: error.code, ...describeError(error) };
    throw error;
  }
  throw new Error('expected the call to fail');
}
