/**
 * What a directory's failure means for a login. Transport failures read the same at every
 * step; an LDAP result code is read in the light of the step that got it.
 */
import { InvalidCredentialsError, NoSuchObjectError, ResultCodeError } from 'ldapts';
import { DomainError, isDomainError } from '../../errors.js';
import { credentialsRefused } from '../credentials-refused.js';

export function directoryTimeout(): DomainError {
  return new DomainError('auth.upstream_failed', 'the directory did not answer in time');
}

export type DirectoryStep = 'service bind' | 'user search' | 'user bind' | 'entry read';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

function isTimeout(error: Error): boolean {
  return (error as NodeJS.ErrnoException).code === 'ETIMEDOUT' || /timed out|timeout/i.test(error.message);
}

function refused(step: DirectoryStep, error: ResultCodeError): DomainError {
  if (step === 'user bind' && error instanceof InvalidCredentialsError) return credentialsRefused();
  if (step === 'service bind' && error instanceof InvalidCredentialsError) {
    return new DomainError('auth.upstream_failed', "the directory refused the connection's service account");
  }
  if (step === 'user search' && error instanceof NoSuchObjectError) {
    return new DomainError('auth.upstream_failed', "the directory has no entry at the connection's search base");
  }
  return new DomainError('auth.upstream_failed', `the directory refused the ${step} (LDAP result ${error.code})`);
}

export function directoryFailure(step: DirectoryStep, error: unknown): DomainError {
  if (isDomainError(error)) return error;
  if (error instanceof ResultCodeError) return refused(step, error);
  if (error instanceof Error && isTimeout(error)) return directoryTimeout();
  if (error instanceof Error && UNREACHABLE.has((error as NodeJS.ErrnoException).code ?? '')) {
    return new DomainError('auth.upstream_failed', 'the directory could not be reached');
  }
  return new DomainError('auth.upstream_failed', `the directory connection failed during the ${step}`);
}
