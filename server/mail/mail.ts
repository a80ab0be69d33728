/**
 * Assembles the mail path from the configuration: templates (checked now, so a broken override
 * stops start-up), the transport SMTP_URL chooses, the outbox worker and the mailer flows call.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { createMailOutboxQueries } from '../../adapters/queries/mail-outbox.js';
import type { Models } from '../../adapters/sequelize/models.js';
import type { Config } from '../config.js';
import { createMailer, type Mailer } from './mailer.js';
import { createOutboxWorker, type OutboxWorker, type OutboxWorkerOptions } from './outbox-worker.js';
import { loadTemplates } from './templates.js';
import { fileTransport, smtpTransport } from './transport.js';

/** The name messages carry when the flow sending them names no application. */
export const DEFAULT_APP_NAME = 'Tessera';

/** How long operators can still see a sent or failed message on the user (users.mail). */
export const FINISHED_MAIL_RETENTION_MS = 30 * 24 * 3_600_000;

export interface Mail {
  readonly mailer: Mailer;
  readonly worker: OutboxWorker;
  /** Deletes sent and failed messages past FINISHED_MAIL_RETENTION_MS; returns how many. */
  sweep(now?: Date): Promise<number>;
}

export type MailTuning = Pick<OutboxWorkerOptions, 'retryDelaysMs' | 'pollIntervalMs' | 'leaseMs' | 'now'>;

export async function createMail(
  config: Pick<Config, 'mail' | 'dataDir'>,
  models: Models,
  sealingKey: Buffer,
  logger: Logger,
  tuning: MailTuning = {},
): Promise<Mail> {
  const templates = await loadTemplates(config.mail.templatesDir);
  const outbox = createMailOutboxQueries(models);
  const transport = config.mail.smtpUrl ? smtpTransport(config.mail.smtpUrl) : fileTransport(path.join(config.dataDir, 'mail'));
  const worker = createOutboxWorker({ outbox, transport, sealingKey, logger, ...tuning });
  const mailer = createMailer({
    outbox,
    templates,
    sealingKey,
    from: config.mail.from,
    appName: DEFAULT_APP_NAME,
    onQueued: () => worker.wake(),
  });
  return {
    mailer,
    worker,
    sweep: (now = new Date()) => outbox.sweepFinished(new Date(now.getTime() - FINISHED_MAIL_RETENTION_MS)),
  };
}
