/**
 * The benchmarked servers run compiled, as `npm start` and the production image run Tessera:
 * `npm run build:server` (esbuild) into dist/, with the benchmark's files, once per benchmark run.
 * Running them through tsx instead would add its loader, its source maps and, for the bare
 * provider, nothing it needs, to the memory and start-up measured.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../server/package-root.js';

const run = promisify(execFile);

/**
 * The V8 flags Tessera runs with, as `npm start` and the image's CMD give them (a test keeps the
 * three alike). The garbage of a busy server is collected sooner instead of swelling the heap;
 * in both cases the CPU per request moved less than between two runs without the flag
 * (docs/benchmarks.md). The bare provider runs with Node's defaults, as its users would run it.
 * - A young generation of at most 16 MB per semi-space, where Node 24 lets it grow to several
 *   times that under load: a peak RSS about 130 MB lower.
 * - The old generation may grow to twice what was alive after the last full collection before
 *   the next, where V8 lets it grow up to four times on a machine with this much memory. Under
 *   the token benchmark, live data stays near 55 MB while the heap grew past 250 MB with that
 *   factor: a peak about 100 MB lower.
 */
export const TESSERA_NODE_FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=100'] as const;

let compiled: Promise<string> | undefined;

/** The compiled server-process.js to fork; built on first use, by `npm run build:server` with the benchmark's own files added. */
export function compiledServerProcess(): Promise<string> {
  compiled ??= run('npm', ['run', 'build:server', '--silent', '--', 'bench/**/*.ts'], { cwd: PACKAGE_ROOT }).then(() =>
    path.join(PACKAGE_ROOT, 'dist', 'bench', 'server-process.js'),
  );
  return compiled;
}
