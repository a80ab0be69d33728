/** Runs one autocannon load against one endpoint, in a child process, and returns its summary. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LoadSettings {
  readonly durationSeconds: number;
  readonly connections: number;
}

/** Plain data, since it crosses into the child process. */
export interface LoadRequest {
  readonly origin: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** When set, each request spends one of these refresh tokens and the response's rotated token replaces it. */
  readonly rotatingRefreshTokens?: readonly string[];
  /**
   * When set, successive requests (across all connections) take these in turn, each replacing
   * the path and adding its headers: one user after another, wrapping around at the end.
   */
  readonly variants?: readonly LoadVariant[];
}

export interface LoadVariant {
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoadJob {
  readonly request: LoadRequest;
  readonly settings: LoadSettings;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly responses: number;
  readonly non2xx: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Readonly<Record<string, number>>;
}

/** Sent by the child just before the load starts, so a caller can time things against the run itself. */
export interface LoadStarted {
  readonly started: true;
}

export function failures(result: LoadResult): number {
  return result.non2xx + result.errors;
}

// The load generator gets its own process: on the servers' event loop it would compete with
// them for the very time being measured. (Not a worker thread: autocannon leaves its results
// unaggregated when it is not on a main thread, expecting to be its own worker.)
export function runLoad(request: LoadRequest, settings: LoadSettings, onStart?: () => void): Promise<LoadResult> {
  const job: LoadJob = { request, settings };
  // fork() passes on this process's execArgv, and with it tsx's loader.
  const child = fork(fileURLToPath(new URL('./load-process.ts', import.meta.url)));
  return new Promise<LoadResult>((resolve, reject) => {
    let result: LoadResult | undefined;
    child.on('message', (message: LoadResult | LoadStarted) => {
      if ('started' in message) onStart?.();
      else result = message;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`load process exited with code ${code}${result ? '' : ' before reporting'}`));
    });
    child.send(job);
  });
}
