/**
 * The benchmarked servers run compiled, as `npm start` and the production image run Tessera:
 * the same esbuild transpilation as `npm run build:server`, into dist/, once per benchmark run.
 * Running them through tsx instead would add its loader, its source maps and, for the bare
 * provider, nothing it needs, to the memory and start-up measured.
 */
import path from 'node:path';
import { build } from 'esbuild';
import { PACKAGE_ROOT } from '../server/package-root.js';

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

/** The compiled server-process.js to fork; built on first use. */
export function compiledServerProcess(): Promise<string> {
  compiled ??= build({
    absWorkingDir: PACKAGE_ROOT,
    entryPoints: ['server/**/*.ts', 'adapters/**/*.ts', 'trpc/**/*.ts', 'bench/**/*.ts'],
    outdir: 'dist',
    outbase: '.',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'warning',
  }).then(() => path.join(PACKAGE_ROOT, 'dist', 'bench', 'server-process.js'));
  return compiled;
}
