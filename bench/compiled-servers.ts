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
 * three alike). A young generation of at most 16 MB per semi-space, where Node 24 lets it grow to
 * several times that under load: the garbage of a busy server is collected sooner instead of
 * swelling the heap: the peak RSS under the benchmark was about 130 MB lower, and the CPU per
 * request moved less than between two runs without the flag (docs/benchmarks.md). The bare
 * provider runs with Node's defaults, as its users would run it.
 */
export const TESSERA_NODE_FLAGS = ['--max-semi-space-size=16'] as const;

let compiled: Promise<string> | undefined;

/** The compiled server-process.js to fork; built on first use, by `npm run build:server` with the benchmark's own files added. */
export function compiledServerProcess(): Promise<string> {
  compiled ??= run('npm', ['run', 'build:server', '--silent', '--', 'bench/**/*.ts'], { cwd: PACKAGE_ROOT }).then(() =>
    path.join(PACKAGE_ROOT, 'dist', 'bench', 'server-process.js'),
  );
  return compiled;
}
