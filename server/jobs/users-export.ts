/**
 * Users export jobs, as Auth0's POST /jobs/users-exports: the job is created pending and answered
 * at once, then this node pages through the users by user_id (a page in memory at a time, never
 * all of them), writes each page as NDJSON or CSV, gzips as it goes and stores the file in
 * PostgreSQL chunks, so that any node serves the finished job's `location`. A node runs
 * MAX_RUNNING_EXPORTS at once; the others wait, pending. The link lasts
 * EXPORT_LINK_TTL_MS; the sweep deletes expired files and fails exports whose node stopped.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ExportFileQueries } from '../../adapters/queries/export-files.js';
import type { JobQueries } from '../../adapters/queries/jobs.js';
import type { UsersExportQueries } from '../../adapters/queries/users-export.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import { toProfile } from '../profiles/profile.js';
import {
  DEFAULT_EXPORT_FORMAT,
  defaultExportFields,
  type ExportField,
  type ExportFormat,
  type ResolvedField,
  resolveExportFields,
  type UsersExportRequest,
} from './export-fields.js';
import { exportWriter } from './export-format.js';
import { type ExportLinks, fileNameOf } from './export-link.js';
import type { Jobs, JobView } from './jobs.js';

/**
 * How long a finished export's link works, and its file is kept: a day, as Auth0 keeps a finished
 * export job. Scripts poll the job and download at once; a day also covers one that runs again
 * the next morning, and the link is a 256-bit secret that is never stored.
 */
export const EXPORT_LINK_TTL_MS = 24 * 60 * 60 * 1000;
/** A running export updates its job at every percent; one silent this long died with its node. */
export const STALE_EXPORT_MS = 60 * 60 * 1000;
/**
 * Exports a node runs at once; later ones wait, pending. Each holds up to two pooled connections
 * (a page read ahead while a chunk is stored), and logins share the pool.
 */
export const MAX_RUNNING_EXPORTS = 2;
/** Users read per statement. */
const PAGE_SIZE = 1000;
/** Bytes of gzip per stored chunk: few rows for a large file, little memory for each. */
const CHUNK_BYTES = 1024 * 1024;

const STOPPED = 'Tessera stopped during the export; start the export again';
const FAILED = 'the export failed; the server log says why';

export interface ExportDownload {
  readonly fileName: string;
  readonly bytes: number;
  readonly body: Readable;
}

export interface UsersExport {
  /** Creates the job and answers it pending; the export runs after the answer. */
  start(request: UsersExportRequest, createdBy: string): Promise<JobView>;
  /** The file a link names, while the link lasts; undefined for an unknown, expired or mistyped link. */
  download(secret: string, fileName: string): Promise<ExportDownload | undefined>;
  /** Deletes the files of expired links and of failed exports; fails exports whose node stopped. */
  sweep(): Promise<void>;
  /** Resolves when the exports this node runs have ended (tests and the benchmark wait on it). */
  idle(): Promise<void>;
  /** Stops this node's running exports (they fail, saying so) and waits for them. */
  close(): Promise<void>;
}

export interface UsersExportDependencies {
  jobs: Jobs;
  jobQueries: Pick<JobQueries, 'setLocation' | 'byLocation'>;
  users: UsersExportQueries;
  files: ExportFileQueries;
  findConnection(id: string): Promise<{ id: string; name: string } | null | undefined>;
  links: ExportLinks;
  logger: Logger;
  now?: () => Date;
  pageSize?: number;
  chunkBytes?: number;
}

interface ExportTask {
  readonly id: string;
  readonly format: ExportFormat;
  readonly fields: readonly ResolvedField[];
  readonly connectionId: string | undefined;
  readonly limit: number | undefined;
}

export function createUsersExport(deps: UsersExportDependencies): UsersExport {
  const { jobs, jobQueries, users, files, links, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const pageSize = deps.pageSize ?? PAGE_SIZE;
  const chunkBytes = deps.chunkBytes ?? CHUNK_BYTES;
  const stopping = new AbortController();
  const running = new Set<Promise<void>>();
  let free = MAX_RUNNING_EXPORTS;
  const waiting: Array<() => void> = [];

  async function inTurn(work: () => Promise<void>): Promise<void> {
    if (free > 0) free -= 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    }
  }

  /** The users' text, a page at a time, moving the job's percentage as it goes. */
  async function* pages(task: ExportTask, total: number, count: { written: number }): AsyncGenerator<Buffer> {
    const writer = exportWriter(task.format, task.fields);
    const wanted = task.limit ?? Number.POSITIVE_INFINITY;
    let percent = 0;
    let requested = 0;
    const read = (after: string | undefined) => {
      const take = Math.min(pageSize, wanted - requested);
      requested += take;
      const rows = take > 0 ? users.page({ connectionId: task.connectionId, after, take }) : Promise.resolve([]);
      // Read ahead; when the export stops first, nobody awaits it and its failure is of no interest.
      rows.catch(() => undefined);
      return { rows, take };
    };
    let next = read(undefined);
    for (let first = true; ; first = false) {
      stopping.signal.throwIfAborted();
      const { take } = next;
      const rows = await next.rows;
      const more = take > 0 && rows.length === take;
      // PostgreSQL reads the next page while this one is written and compressed.
      if (more) next = read(rows.at(-1)?.user.id);
      const text = writer.page(
        rows.map(({ user, identities }) => toProfile(user, identities)),
        first,
      );
      if (text) yield Buffer.from(text);
      count.written += rows.length;
      const done = Math.min(99, Math.floor((count.written * 100) / Math.max(total, 1)));
      if (done > percent) {
        percent = done;
        await jobs.progress(task.id, { percentageDone: done });
      }
      if (!more) return;
    }
  }

  /**
   * Gzip in CHUNK_BYTES pieces, each stored as it fills. One buffer is filled again and again: the
   * insert has sent it when it resolves, and a new megabyte per chunk would only be garbage.
   */
  async function store(jobId: string, gzip: AsyncIterable<Buffer>): Promise<void> {
    const chunk = Buffer.allocUnsafeSlow(chunkBytes);
    let position = 0;
    let size = 0;
    for await (const piece of gzip) {
      for (let offset = 0; offset < piece.length; ) {
        const copied = piece.copy(chunk, size, offset);
        offset += copied;
        size += copied;
        if (size === chunkBytes) {
          await files.appendChunk(jobId, position, chunk);
          position += 1;
          size = 0;
        }
      }
    }
    if (size > 0 || position === 0) await files.appendChunk(jobId, position, chunk.subarray(0, size));
  }

  async function run(task: ExportTask): Promise<void> {
    try {
      stopping.signal.throwIfAborted();
      await jobs.progress(task.id, { status: 'processing' });
      const total = Math.min(task.limit ?? Number.POSITIVE_INFINITY, await users.count(task.connectionId));
      const count = { written: 0 };
      await pipeline(Readable.from(pages(task, total, count)), createGzip(), (gzip) => store(task.id, gzip));
      const { digest } = links.linkOf(task.id, task.format);
      await jobQueries.setLocation(task.id, digest, new Date(now().getTime() + EXPORT_LINK_TTL_MS));
      await jobs.progress(task.id, { status: 'completed', percentageDone: 100, summary: { total: count.written } });
    } catch (error) {
      const stopped = stopping.signal.aborted;
      if (!stopped) logger.error({ err: error, job: task.id }, 'users export failed');
      await files.remove(task.id).catch(() => undefined);
      await jobs
        .progress(task.id, { status: 'failed', failure: stopped ? STOPPED : FAILED })
        .catch((failure: unknown) => logger.warn({ err: failure, job: task.id }, 'could not record a failed users export'));
    }
  }

  return {
    async start(request, createdBy) {
      if (stopping.signal.aborted) throw new DomainError('server.busy', 'Tessera is stopping; start the export again.');
      const format = request.format ?? DEFAULT_EXPORT_FORMAT;
      const asked: ExportField[] = request.fields ?? defaultExportFields(format);
      const fields = resolveExportFields(asked, format);
      let connection: { id: string; name: string } | undefined;
      if (request.connection_id !== undefined) {
        connection = (await deps.findConnection(request.connection_id)) ?? undefined;
        if (!connection) throw new DomainError('connection.not_found', 'The connection does not exist.', 'connection_id');
      }
      const job = await jobs.create({
        type: 'users_export',
        connectionId: connection?.id,
        options: {
          format,
          ...(request.limit !== undefined ? { limit: request.limit } : {}),
          fields: asked,
          ...(connection ? { connection: connection.name } : {}),
        },
        createdBy,
      });
      const task = { id: job.id, format, fields, connectionId: connection?.id, limit: request.limit };
      // After the answer: the caller polls GET /jobs/{id}, on this node or any other.
      const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => inTurn(() => run(task)))
        .finally(() => running.delete(done));
      running.add(done);
      return job;
    },

    async download(secret, fileName) {
      const digest = links.digestOf(secret);
      if (!digest) return undefined;
      const row = await jobQueries.byLocation(digest, now());
      if (row?.status !== 'completed' || fileName !== fileNameOf(row.id, String(row.options['format']))) return undefined;
      const jobId = row.id;
      const { bytes, chunks } = await files.size(jobId);
      if (chunks === 0) return undefined;
      async function* read(): AsyncGenerator<Buffer> {
        for (let position = 0; position < chunks; position += 1) {
          const chunk = await files.chunk(jobId, position);
          if (!chunk) throw new Error(`export ${jobId} lost chunk ${position} while it was downloaded`);
          yield chunk;
        }
      }
      return { fileName, bytes, body: Readable.from(read()) };
    },

    sweep: () => files.sweep(now(), new Date(now().getTime() - STALE_EXPORT_MS), 'the node running the export stopped; start it again'),

    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },

    async close() {
      stopping.abort();
      await this.idle();
    },
  };
}
