/**
 * Auth0's bulk users import into a database connection, as a job (jobs.importUsers, POST
 * /jobs/users-imports) or from a shell (the CLI's `import`): the same `importUsers` either way.
 *
 * The file is read entry by entry (./import-file.ts, ./import-user.ts); a refused entry never
 * stops the others. Users are written in batches: one lookup of the batch's existing users, then
 * multi-row statements in one transaction (adapters/queries/users-import.ts). Hashes are stored
 * as given: nothing is hashed here, so an import costs no password-hashing time, and logins keep
 * the thread pool. The work yields to the event loop between slices of entries and between
 * batches, holds one database connection at a time, and a node runs one import at a time.
 *
 * After each batch commits, every updated user's `user.updated` (with `user.blocked`, and the
 * end of their sessions, when the import blocks them) and every new user's `user.created` are
 * published as users.* publishes them: publishing invalidates the user's cached profile, and
 * the users.events feed tells subscribers about imported users as about any new user.
 *
 * A job is run by the node that accepted it, after the answer; any node reports it from the jobs
 * table. The node touches the jobs it holds every HEARTBEAT_MS; one no node has touched for
 * ABANDONED_AFTER_SECONDS (its node stopped) is marked failed, at start and by the sweeper. Run
 * the file again to finish it: an import is idempotent.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { StoreConflict } from '../../adapters/errors.js';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import type { UsersImportQueries } from '../../adapters/queries/users-import.js';
import { RetryLater } from '../abuse/retry-later.js';
import { databaseOptions } from '../connections/database-connection.js';
import { asStoreUnavailable, DomainError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import type { RevokeAccount } from '../oidc/account-revocation.js';
import { newIdentityId } from '../profiles/profile-service.js';
import { type BatchFailure, type BatchPlan, planBatch } from './import-batch.js';
import { ImportFileRefused, readImportFile } from './import-file.js';
import { type ImportedUser, readImportedUser } from './import-user.js';
import type { Jobs, JobView } from './jobs.js';
import type { ImportUsersInput } from './users-import-input.js';

const BATCH_SIZE = 1_000;
/** Entries read (JSON.parse and validation) between two turns of the event loop. */
const READ_SLICE = 200;
/** Events published at once after a batch commits. */
const PUBLISH_CONCURRENCY = 64;
/** Jobs a node holds at once (one running, the rest waiting with their file in memory). */
const MAX_HELD_JOBS = 4;
const BUSY_RETRY_SECONDS = 60;
const HEARTBEAT_MS = 30_000;
const ABANDONED_AFTER_SECONDS = 300;
const ABANDONED = 'the node running this import stopped before it finished; run the same file again (an import is idempotent)';

export interface ImportSummary {
  failed: number;
  updated: number;
  inserted: number;
  total: number;
}

export interface ImportOptions {
  readonly connectionId: string;
  readonly upsert: boolean;
  /** An update of a user holding management scopes needs every one of them, as users.update does. */
  readonly callerScopes: ReadonlySet<string>;
}

/** Told after each batch: the counts so far, the share of the file read, and that batch's failures. */
export type ImportObserver = (progress: { summary: ImportSummary; done: number; failures: readonly BatchFailure[] }) => Promise<void>;

export interface UsersImportDependencies {
  jobs: Jobs;
  queries: UsersImportQueries;
  connections: Pick<ConnectionQueries, 'findById'>;
  events: EventBus;
  revokeAccount: RevokeAccount;
  logger: Logger;
}

/** The node is stopping: the job ends between two batches, marked failed, to be run again. */
class ImportStopped extends Error {
  override name = 'ImportStopped';
}

const keysOf = (user: ImportedUser) => [
  `email:${user.email}`,
  ...(user.externalId === undefined ? [] : [`id:${user.externalId}`]),
  ...(user.username === undefined ? [] : [`username:${user.username.toLowerCase()}`]),
];

async function eachAtMost<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let index = next++; index < items.length; index = next++) await work(items[index] as T);
    }),
  );
}

export function createUsersImport({ jobs, queries, connections, events, revokeAccount, logger }: UsersImportDependencies) {
  let stopping = false;

  /** The connection an import writes into: it must exist and be a database connection. */
  async function targetConnection(connectionId: string): Promise<ConnectionRecord> {
    const connection = await connections.findById(connectionId);
    if (!connection) throw new DomainError('connection.not_found', `connection ${connectionId} does not exist`, 'connection_id');
    if (connection.strategy !== 'database') {
      throw new DomainError(
        'input.invalid',
        `users are imported into database connections only; ${connection.name} is ${connection.strategy}`,
        'connection_id',
      );
    }
    return connection;
  }

  async function publishChanges(plan: BatchPlan): Promise<void> {
    const publish = async (work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        logger.warn({ err: error }, 'an imported user’s change was written but its event could not be published');
      }
    };
    await eachAtMost(plan.updates, PUBLISH_CONCURRENCY, async ({ row, blocks }) => {
      if (blocks) {
        await publish(() => revokeAccount(row.id));
        await publish(() => events.publish('user.blocked', row.id));
      }
      await publish(() => events.publish('user.updated', row.id));
    });
    await eachAtMost(plan.inserts, PUBLISH_CONCURRENCY, ({ row }) => publish(() => events.publish('user.created', row.id)));
  }

  /** Writes a batch, or user by user when a row was refused (a concurrent write took one of its keys meanwhile). */
  async function writeUsers(connectionId: string, users: readonly ImportedUser[], options: ImportOptions): Promise<BatchPlan> {
    const existing = await queries.findExisting(connectionId, {
      externalIds: users.flatMap((user) => (user.externalId === undefined ? [] : [user.externalId])),
      emails: users.map((user) => user.email),
      usernames: users.flatMap((user) => (user.username === undefined ? [] : [user.username.toLowerCase()])),
    });
    const planned = planBatch(users, existing, { ...options, newExternalId: newIdentityId });
    // Users of other connections hold their user_id: `database|<id>` is one id space.
    const taken = await queries.takenUserIds(planned.inserts.map(({ row }) => row.id));
    const plan: BatchPlan = {
      inserts: planned.inserts.filter(({ row }) => !taken.has(row.id)),
      updates: planned.updates,
      failures: [
        ...planned.failures,
        ...planned.inserts
          .filter(({ row }) => taken.has(row.id))
          .map(({ row, position, user }) => ({
            position,
            user,
            errors: [{ code: 'DUPLICATED_USER', message: `A user of another connection is ${row.id}`, path: 'user_id' }],
          })),
      ],
    };
    try {
      await queries.writeBatch(
        connectionId,
        plan.inserts.map(({ row }) => row),
        plan.updates.map(({ row }) => row),
      );
    } catch (error) {
      // An outage stops the job; anything else a row caused is that row's failure, found user by user.
      if (asStoreUnavailable(error)) throw error;
      if (users.length === 1) {
        const [user] = users as [ImportedUser];
        const conflict = error instanceof StoreConflict;
        if (!conflict) logger.warn({ err: error }, 'PostgreSQL refused an imported user');
        const failure = conflict
          ? { code: 'DUPLICATED_USER', message: 'Another user of this connection has this email, username or user_id', path: '' }
          : { code: 'INVALID_VALUE', message: 'The store refused this user', path: '' };
        return { inserts: [], updates: [], failures: [{ position: user.position, user: user.shown, errors: [failure] }] };
      }
      const one: BatchPlan = { inserts: [], updates: [], failures: [] };
      for (const user of users) {
        const alone = await writeUsers(connectionId, [user], options);
        one.inserts.push(...alone.inserts);
        one.updates.push(...alone.updates);
        one.failures.push(...alone.failures);
      }
      return one;
    }
    await publishChanges(plan);
    return plan;
  }

  /** Imports a file's users into a database connection; ImportFileRefused for an array that does not close. */
  async function importUsers(text: string, options: ImportOptions, observe: ImportObserver): Promise<ImportSummary> {
    const connection = await targetConnection(options.connectionId);
    // As users.create does for this connection.
    const requiresUsername = databaseOptions(connection).requires_username;
    const file = await readImportFile(text);
    const summary: ImportSummary = { failed: 0, updated: 0, inserted: 0, total: 0 };
    let batch: ImportedUser[] = [];
    let batchKeys = new Set<string>();
    let failures: BatchFailure[] = [];
    let done = 0;
    let sinceTurn = 0;

    async function flush(): Promise<void> {
      const plan = batch.length > 0 ? await writeUsers(connection.id, batch, options) : undefined;
      const all = plan ? [...failures, ...plan.failures].sort((a, b) => a.position - b.position) : failures;
      summary.inserted += plan?.inserts.length ?? 0;
      summary.updated += plan?.updates.length ?? 0;
      summary.failed += all.length;
      await observe({ summary: { ...summary }, done, failures: all });
      batch = [];
      batchKeys = new Set();
      failures = [];
      await nextTurn();
      if (stopping) throw new ImportStopped();
    }

    for (const entry of file.entries()) {
      const read = readImportedUser(entry);
      summary.total += 1;
      if (read.ok && requiresUsername && read.user.username === undefined) {
        failures.push({
          position: read.user.position,
          user: read.user.shown,
          errors: [{ code: 'OBJECT_MISSING_REQUIRED_PROPERTY', message: 'Missing required property: username', path: 'username' }],
        });
      } else if (read.ok) {
        const keys = keysOf(read.user);
        // A later line about a user of this batch waits for the next one, so it sees this one written.
        if (keys.some((key) => batchKeys.has(key))) await flush();
        batch.push(read.user);
        for (const key of keys) batchKeys.add(key);
      } else {
        failures.push({ position: read.position, user: read.shown, errors: read.errors });
      }
      done = entry.end / Math.max(file.length, 1);
      if (batch.length + failures.length >= BATCH_SIZE) await flush();
      else if (++sinceTurn >= READ_SLICE) {
        sinceTurn = 0;
        await nextTurn();
      }
    }
    done = 1;
    await flush();
    return summary;
  }

  /** The jobs this node holds: running or waiting their turn. */
  const held = new Set<string>();
  let queue: Promise<void> = Promise.resolve();
  const heartbeat = setInterval(() => {
    queries.touchJobs([...held]).catch((error: unknown) => logger.warn({ err: error }, 'could not mark import jobs as alive'));
  }, HEARTBEAT_MS);
  heartbeat.unref();

  async function runJob(id: string, input: ImportUsersInput, options: ImportOptions): Promise<void> {
    try {
      if (stopping) throw new ImportStopped();
      await jobs.progress(id, { status: 'processing' });
      const summary = await importUsers(input.users, options, async ({ summary: counts, done, failures }) => {
        await jobs.addErrors(
          id,
          failures.map(({ position, user, errors }) => ({ position, user, errors })),
        );
        await jobs.progress(id, { summary: { ...counts }, percentageDone: Math.min(99, Math.floor(done * 100)) });
      });
      await jobs.progress(id, { status: 'completed', summary: { ...summary }, percentageDone: 100 });
    } catch (error) {
      const refused = error instanceof ImportFileRefused || error instanceof DomainError;
      const failure = refused
        ? `the file was not imported: ${error.message}`
        : error instanceof ImportStopped
          ? ABANDONED
          : 'the import stopped on an internal error; run the same file again (an import is idempotent)';
      if (!refused && !(error instanceof ImportStopped)) logger.error({ err: error, job: id }, 'users import failed');
      await jobs
        .progress(id, { status: 'failed', failure })
        .catch((cause: unknown) => logger.error({ err: cause, job: id }, 'could not record a failed import'));
    }
  }

  return {
    importUsers,

    /** Creates the job (pending) and runs it on this node after the caller has its answer. */
    async start(input: ImportUsersInput, caller: { createdBy: string; scopes: ReadonlySet<string> }): Promise<JobView> {
      // Before the job exists: a wrong connection is the request's error, not a failed job.
      const connection = await targetConnection(input.connection_id);
      if (held.size >= MAX_HELD_JOBS) {
        throw new RetryLater(
          'server.busy',
          `This server is already running ${held.size} imports; try again when one has finished.`,
          BUSY_RETRY_SECONDS,
        );
      }
      const upsert = input.upsert ?? false;
      const job = await jobs.create({
        type: 'users_import',
        connectionId: connection.id,
        options: {
          connection: connection.name,
          upsert,
          ...(input.external_id === undefined ? {} : { external_id: input.external_id }),
          send_completion_email: input.send_completion_email ?? true,
        },
        createdBy: caller.createdBy,
      });
      held.add(job.id);
      const options: ImportOptions = { connectionId: connection.id, upsert, callerScopes: caller.scopes };
      queue = queue.then(() => runJob(job.id, input, options)).finally(() => held.delete(job.id));
      return job;
    },

    /** Marks failed the imports whose node stopped touching them; returns how many. */
    failAbandoned(): Promise<number> {
      return queries.failAbandoned(ABANDONED_AFTER_SECONDS, ABANDONED);
    },

    /** Waits for the jobs this node holds (tests, and a clean stop). */
    async settled(): Promise<void> {
      await queue;
    },

    /** Ends the running job after its current batch (marked failed, to be run again) and the waiting ones. */
    async close(): Promise<void> {
      stopping = true;
      clearInterval(heartbeat);
      await queue;
    },
  };
}

export type UsersImport = ReturnType<typeof createUsersImport>;
