/**
 * The benchmarked servers run compiled, as `npm start` and the production image run Tessera:
 * the same esbuild transpilation as `npm run build:server`, into dist/, once per benchmark run.
 * Running them through tsx instead would add its loader, its source maps and, for the bare
 * provider, nothing it needs, to the memory and start-up measured.
 */
import path from 'node:path';
import { build } from 'esbuild';
import { PACKAGE_ROOT } from '../server/package-root.js';

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
