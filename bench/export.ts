/**
 * `npm run bench:export [-- 100000,1000000]`: users exports at scale. A scratch embedded PostgreSQL
 * gets bench/search's fake users (default 100,000 and 1,000,000; SEARCH_BENCH_DIR keeps the
 * cluster and reuses its loads, as `npm run bench:search` does), a Tessera on it runs a users
 * export job per format and count, and the file is downloaded from the job's location over
 * HTTP. Reported per run: export and download seconds, the gzip's size, and the process's RSS
 * before the export (after a GC) and at its peak, sampled while the job runs and while the file
 * downloads. Memory is flat when the peak over the baseline stays the same from one count to the
 * next, ten times larger. Writes bench/results/export.json.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { freePort } from '../adapters/postgres/free-port.js';
import { loadConfig } from '../server/config.js';
import type { ExportFormat } from '../server/jobs/export-fields.js';
import { createLogger } from '../server/logger.js';
import { startTessera, type Tessera } from '../server/tessera.js';
import { describeMachine } from './report.js';
import { loadSearchDatabase, parseCounts, startBenchCluster } from './search/seed.js';

const RESULTS_FILE = fileURLToPath(new URL('./results/export.json', import.meta.url));
const DEFAULT_COUNTS = '100000,1000000';
const FORMATS = (process.env['EXPORT_FORMATS'] ?? 'json,csv').split(',') as ExportFormat[];
const MiB = 1024 * 1024;

const progress = (message: string) => process.stderr.write(`[export-bench] ${new Date().toISOString().slice(11, 19)} ${message}\n`);
const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;
const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

interface MemoryPeak {
  rss: number;
  /** The JavaScript heap in use: what a page of users and its text take, garbage not yet collected included. */
  heapUsed: number;
  /** Buffers outside the heap: gzip's and the stored chunks. */
  external: number;
  /** The highest RSS in each quarter of the run: level from the first quarter on when memory is flat. */
  quarters: number[];
}

/** The highest RSS, heap and external memory seen until stop(), sampled every 20 ms. */
function memoryPeak(): { stop(): MemoryPeak } {
  const peak: MemoryPeak = { rss: 0, heapUsed: 0, external: 0, quarters: [] };
  const series: number[] = [];
  const sample = () => {
    const { rss, heapUsed, external } = process.memoryUsage();
    series.push(rss);
    peak.rss = Math.max(peak.rss, rss);
    peak.heapUsed = Math.max(peak.heapUsed, heapUsed);
    peak.external = Math.max(peak.external, external);
  };
  sample();
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const quarter = Math.ceil(series.length / 4);
      peak.quarters = [0, 1, 2, 3].map((index) => Math.max(0, ...series.slice(index * quarter, (index + 1) * quarter)));
      return peak;
    },
  };
}

/** RSS once garbage is collected (run with --expose-gc, as the npm script does), so runs start alike. */
async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let round = 0; round < 3; round += 1) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return process.memoryUsage.rss();
}

interface ExportRun {
  users: number;
  format: ExportFormat;
  exportSeconds: number;
  /** CPU of this process (Tessera's side: formatting, gzip, the driver), steadier than wall time on a shared machine. */
  exportCpuSeconds: number;
  downloadSeconds: number;
  gzipMiB: number;
  rows: number;
  passwordHashesSeen: number;
  rssBeforeMiB: number;
  exportPeakMiB: number;
  exportHeapPeakMiB: number;
  exportExternalPeakMiB: number;
  exportQuarterPeaksMiB: number[];
  /** RSS once the export is over and garbage collected: what it left behind. */
  rssAfterMiB: number;
  downloadPeakMiB: number;
}

/** Reads the download through gunzip, counting lines and any password hash, a chunk at a time. */
async function download(location: string): Promise<{ bytes: number; lines: number; hashes: number }> {
  const response = await fetch(location);
  if (response.status !== 200 || !response.body) throw new Error(`the export's location answered ${response.status}`);
  let bytes = 0;
  let lines = 0;
  let hashes = 0;
  let tail = '';
  await pipeline(
    Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        bytes += chunk.length;
        yield chunk;
      }
    },
    createGunzip(),
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        const text = tail + chunk.toString('latin1');
        for (let at = text.indexOf('\n', tail.length); at !== -1; at = text.indexOf('\n', at + 1)) lines += 1;
        hashes += text.split('$argon2').length - 1;
        tail = text.slice(-8);
      }
    },
  );
  return { bytes, lines, hashes };
}

async function exportOnce(tessera: Tessera, users: number, format: ExportFormat): Promise<ExportRun> {
  const { usersExport, management } = tessera.services;
  const rssBefore = await settledRss();
  let peak = memoryPeak();
  const cpuBefore = process.cpuUsage();
  const exportStart = performance.now();
  const started = await usersExport.start({ format }, 'bench');
  await usersExport.idle();
  const exportSeconds = seconds(exportStart);
  const cpu = process.cpuUsage(cpuBefore);
  const exportPeak = peak.stop();
  const job = await management.jobs.get(started.id);
  if (job.status !== 'completed' || !job.location) throw new Error(`the export ended ${job.status}: ${job.failure ?? ''}`);
  const rssAfter = await settledRss();
  peak = memoryPeak();
  const downloadStart = performance.now();
  const file = await download(job.location);
  const downloadSeconds = seconds(downloadStart);
  const downloadPeak = peak.stop();
  return {
    users,
    format,
    exportSeconds,
    exportCpuSeconds: Math.round((cpu.user + cpu.system) / 100_000) / 10,
    downloadSeconds,
    gzipMiB: mib(file.bytes),
    rows: format === 'csv' ? file.lines - 1 : file.lines,
    passwordHashesSeen: file.hashes,
    rssBeforeMiB: mib(rssBefore),
    exportPeakMiB: mib(exportPeak.rss),
    exportHeapPeakMiB: mib(exportPeak.heapUsed),
    exportExternalPeakMiB: mib(exportPeak.external),
    exportQuarterPeaksMiB: exportPeak.quarters.map(mib),
    rssAfterMiB: mib(rssAfter),
    downloadPeakMiB: mib(downloadPeak.rss),
  };
}

/**
 * After a load, as a live database would be: otherwise autovacuum's pass over the freshly copied
 * rows runs during the first exports and is measured with them.
 */
async function vacuum(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE) users, identities');
  } finally {
    await client.end();
  }
}

async function startTesseraOn(databaseUrl: string): Promise<Tessera> {
  const port = await freePort();
  return startTessera(
    loadConfig({
      PORT: String(port),
      ISSUER: `http://127.0.0.1:${port}`,
      DATABASE_URL: databaseUrl,
      // Fixed, so a kept cluster (SEARCH_BENCH_DIR) opens what an earlier run sealed in it.
      SEALING_KEY: createHash('sha256').update('tessera export benchmark').digest('base64'),
      LOG_LEVEL: 'warn',
    }),
    createLogger('warn'),
  );
}

function formatRuns(runs: readonly ExportRun[]): string {
  const over = (peak: number, before: number) => `${peak} (+${mib((peak - before) * MiB)})`;
  const lines = [
    '| users | format | export s | export CPU s | download s | gzip MiB | RSS before | export peak RSS (+) | by quarter | heap peak | external peak | RSS after | download peak RSS (+) |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    ...runs.map(
      (run) =>
        `| ${run.users.toLocaleString('en')} | ${run.format} | ${run.exportSeconds} | ${run.exportCpuSeconds} | ${run.downloadSeconds} | ` +
        `${run.gzipMiB} | ${run.rssBeforeMiB} | ${over(run.exportPeakMiB, run.rssBeforeMiB)} | ${run.exportQuarterPeaksMiB.join(' / ')} | ` +
        `${run.exportHeapPeakMiB} | ${run.exportExternalPeakMiB} | ${run.rssAfterMiB} | ${over(run.downloadPeakMiB, run.rssBeforeMiB)} |`,
    ),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const counts = parseCounts(process.argv[2] ?? process.env['EXPORT_USERS'] ?? DEFAULT_COUNTS);
  const postgres = await startBenchCluster('tessera-export-bench-', progress);
  const runs: ExportRun[] = [];
  try {
    for (const count of counts) {
      const { url } = await loadSearchDatabase(postgres.url, count, progress);
      progress('vacuuming and analyzing');
      await vacuum(url);
      const tessera = await startTesseraOn(url);
      try {
        for (const format of FORMATS) {
          progress(`exporting ${count.toLocaleString('en')} users as ${format}`);
          const run = await exportOnce(tessera, count, format);
          if (run.rows !== count) throw new Error(`the ${format} export holds ${run.rows} users, not ${count}`);
          if (run.passwordHashesSeen > 0) throw new Error(`the ${format} export holds ${run.passwordHashesSeen} password hashes`);
          runs.push(run);
          progress(JSON.stringify(run));
        }
      } finally {
        await tessera.stop();
      }
    }
    const machine = describeMachine();
    process.stdout.write(
      `Users exports, ${machine.cpu} × ${machine.cores}, ${machine.memoryGiB} GiB, Node ${machine.node}; ` +
        `memory in MiB of the one process running Tessera, the export job and the download:\n\n${formatRuns(runs)}\n`,
    );
    await mkdir(path.dirname(RESULTS_FILE), { recursive: true });
    await writeFile(RESULTS_FILE, `${JSON.stringify({ date: new Date().toISOString(), machine, runs }, null, 2)}\n`);
    progress(`results written to ${RESULTS_FILE}`);
  } finally {
    await postgres.stop();
  }
}

await main();
