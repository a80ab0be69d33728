/**
 * The mail path with real parts: a real SMTP server in process (smtp-server) receives what the
 * outbox worker delivers from a real PostgreSQL outbox; without SMTP_URL messages become .eml
 * files. Back-off delays and the clock are injected so retries need no waiting.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { createMailOutboxQueries } from '../../adapters/queries/mail-outbox.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { createMail, type MailTuning } from '../../server/mail/mail.js';
import { createOutboxWorker } from '../../server/mail/outbox-worker.js';
import { smtpTransport } from '../../server/mail/transport.js';
import { createTestDatabase } from '../support/databases.js';
import { logSink } from '../support/log-sink.js';
import { parse, SMTP_PASSWORD, smtpUrl, startSmtp } from '../support/smtp-capture.js';
import { waitFor } from '../support/spawn-tessera.js';
import { startTestTessera, TEST_SEALING_KEY } from '../support/tessera.js';

const KEY = Buffer.from(TEST_SEALING_KEY, 'base64');
const FROM = 'Tessera Test <no-reply@tessera.test>';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function database(): Promise<{ url: string; open: () => Promise<Database> }> {
  const url = await createTestDatabase();
  const open = async () => {
    const opened = await openDatabase(url, createLogger('silent'));
    cleanups.push(() => opened.close());
    return opened;
  };
  return { url, open };
}

async function mailFor(
  db: Database,
  options: { smtpPort?: number; dataDir?: string; templatesDir?: string; tuning?: MailTuning; logs?: unknown[] } = {},
) {
  const logger = createLogger('debug', logSink(options.logs ?? []));
  const mail = await createMail(
    {
      mail: {
        smtpUrl: options.smtpPort === undefined ? undefined : smtpUrl(options.smtpPort),
        from: FROM,
        templatesDir: options.templatesDir,
      },
      dataDir: options.dataDir ?? tmpdir(),
    },
    db.models,
    KEY,
    logger,
    { pollIntervalMs: 3_600_000, ...options.tuning },
  );
  cleanups.push(() => mail.worker.stop());
  return mail;
}

const secretLink = () => `https://tessera.test/verify?token=${randomBytes(16).toString('hex')}`;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tessera-mail-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('configuration', () => {
  it('refuses an SMTP_URL that is not smtp:// or smtps:// with a message naming the setting', () => {
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example.com' })).toThrow(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
    expect(() => loadConfig({ SMTP_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({ SMTP_URL: 'not a url' })).toThrow(/SMTP_URL: .*must be an smtp:\/\/ or smtps:\/\/ URL/);
  });

  it('reads SMTP_URL and MAIL_FROM, and sends from no-reply at the issuer host by default', () => {
    const config = loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465', ISSUER: 'https://id.example.com' });
    expect(config.mail).toEqual({
      smtpUrl: 'smtps://u:p@mail.example.com:465',
      from: 'Tessera <no-reply@id.example.com>',
      templatesDir: undefined,
    });
    expect(loadConfig({ MAIL_FROM: 'Ops <ops@example.com>' }).mail.from).toBe('Ops <ops@example.com>');
  });
});

describe('delivery through SMTP', () => {
  it('delivers a queued message with text and HTML parts, the application name escaped in HTML, and no link in logs or the table', async () => {
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const db = await (await database()).open();
    const logs: unknown[] = [];
    const mail = await mailFor(db, { smtpPort: smtp.port, logs });
    const link = secretLink();

    await mail.mailer.send({ to: 'ada@example.com', kind: 'verify_email', values: { link }, appName: '<b>x</b>', userId: 'u1' });
    expect(await mail.worker.runOnce()).toBe(1);

    expect(smtp.received).toHaveLength(1);
    const [message] = smtp.received;
    expect(message?.header('From')).toBe(FROM);
    expect(message?.header('To')).toBe('ada@example.com');
    expect(message?.header('Subject')).toBe('Verify your email for <b>x</b>');
    expect(message?.text).toContain(link);
    expect(message?.text).toContain('<b>x</b>');
    expect(message?.html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(message?.html).not.toContain('<b>x</b>');
    expect(message?.html).toContain(`href="${link}"`);

    const logged = JSON.stringify(logs);
    expect(logged).toContain('mail sent');
    expect(logged).not.toContain(link.split('token=')[1]);
    expect(logged).not.toContain(SMTP_PASSWORD);
    const rows = await db.models.sequelize.query('SELECT * FROM mail_outbox', { type: QueryTypes.SELECT });
    expect(JSON.stringify(rows)).not.toContain(link.split('token=')[1]);
    expect(await mail.mailer.forUser('u1')).toMatchObject([{ kind: 'verify_email', status: 'sent', attempts: 1, last_error: null }]);
  });

  it('writes no message when the transaction that sends it rolls back, and one when it commits', async () => {
    const db = await (await database()).open();
    const mail = await mailFor(db, { dataDir: await tempDir() });
    await expect(
      db.models.sequelize.transaction(async (transaction) => {
        await mail.mailer.send({ to: 'a@example.com', kind: 'welcome', values: {}, userId: 'u2', transaction });
        throw new Error('the caller failed');
      }),
    ).rejects.toThrow('the caller failed');
    expect(await mail.mailer.forUser('u2')).toEqual([]);
    await db.models.sequelize.transaction((transaction) =>
      mail.mailer.send({ to: 'a@example.com', kind: 'welcome', values: {}, userId: 'u2', transaction }),
    );
    expect(await mail.mailer.forUser('u2')).toMatchObject([{ kind: 'welcome', status: 'pending' }]);
  });

  it('retries while the SMTP server is down, delivers exactly once when it is up, and logs the failure without the body', async () => {
    const port = await freePort();
    const db = await (await database()).open();
    let clock = 0;
    const logs: unknown[] = [];
    const mail = await mailFor(db, { smtpPort: port, logs, tuning: { retryDelaysMs: [30_000, 120_000], now: () => new Date(clock) } });
    const link = secretLink();
    await mail.mailer.send({ to: 'bob@example.com', kind: 'reset_password', values: { link }, userId: 'u3' });
    // The row is due from PostgreSQL's now(), so the worker's clock starts after the send.
    clock = Date.now();

    expect(await mail.worker.runOnce()).toBe(0);
    const [failed] = await mail.mailer.forUser('u3');
    expect(failed).toMatchObject({ status: 'pending', attempts: 1 });
    expect(failed?.last_error).toMatch(/ECONNREFUSED/);
    // Not due again before its back-off has passed.
    expect(await mail.worker.runOnce()).toBe(0);
    expect((await mail.mailer.forUser('u3'))[0]?.attempts).toBe(1);

    const smtp = await startSmtp(port);
    cleanups.push(() => smtp.close());
    clock += 30_000;
    expect(await mail.worker.runOnce()).toBe(1);
    clock += 3_600_000;
    expect(await mail.worker.runOnce()).toBe(0);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]?.text).toContain(link);
    expect(await mail.mailer.forUser('u3')).toMatchObject([{ status: 'sent', attempts: 2, last_error: null }]);
    const logged = JSON.stringify(logs);
    expect(logged).toContain('mail not sent, will retry');
    expect(logged).not.toContain(link.split('token=')[1]);
  });

  it('marks a message failed after the last attempt is refused with a 4xx, and shows it on the user', async () => {
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    smtp.refusing = true;
    const db = await (await database()).open();
    let clock = Date.now();
    const mail = await mailFor(db, { smtpPort: smtp.port, tuning: { retryDelaysMs: [1_000, 1_000], now: () => new Date(clock) } });
    await mail.mailer.send({ to: 'eve@example.com', kind: 'password_changed', values: {}, userId: 'u4' });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await mail.worker.runOnce();
      clock += 1_000;
    }
    expect(smtp.received).toHaveLength(0);
    const [summary] = await mail.mailer.forUser('u4');
    expect(summary).toMatchObject({ kind: 'password_changed', status: 'failed', attempts: 3 });
    expect(summary?.last_error).toMatch(/451/);
    expect(Object.keys(summary ?? {})).not.toContain('message');
  });

  it('delivers after a restart what was pending when the previous worker stopped', async () => {
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const { open } = await database();
    const first = await mailFor(await open(), { smtpPort: smtp.port });
    await first.mailer.send({ to: 'carol@example.com', kind: 'welcome', values: {} });
    await first.worker.stop();

    const second = await mailFor(await open(), { smtpPort: smtp.port });
    second.worker.start();
    await second.worker.runOnce();
    expect(smtp.received.map((message) => message.header('To'))).toEqual(['carol@example.com']);
  });

  it('sends each message once when two workers share one database', async () => {
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const { open } = await database();
    const nodeA = await mailFor(await open(), { smtpPort: smtp.port });
    const nodeB = await mailFor(await open(), { smtpPort: smtp.port });
    const recipients = Array.from({ length: 30 }, (_, index) => `user${index}@example.com`);
    for (const to of recipients) await nodeA.mailer.send({ to, kind: 'welcome', values: {} });

    const [a, b] = await Promise.all([nodeA.worker.runOnce(), nodeB.worker.runOnce()]);
    expect(a + b).toBe(recipients.length);
    expect(smtp.received.map((message) => message.header('To')).sort()).toEqual([...recipients].sort());
  });
});

describe('what the outbox keeps', () => {
  it('drops a delivered message’s body at once, and sweeps sent and failed rows after 30 days but never a pending one', async () => {
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const db = await (await database()).open();
    const mail = await mailFor(db, { smtpPort: smtp.port });
    const body = async (id: string) =>
      (
        await db.models.sequelize.query<{ message: string }>('SELECT message FROM mail_outbox WHERE id = $1', {
          bind: [id],
          type: QueryTypes.SELECT,
        })
      )[0]?.message;

    const sent = await mail.mailer.send({ to: 'ada@example.com', kind: 'verify_email', values: { link: secretLink() }, userId: 'u2' });
    const pending = await mail.mailer.send({ to: 'bob@example.com', kind: 'password_changed', values: {}, userId: 'u2' });
    expect(await body(pending.id)).not.toBe('');
    await db.models.sequelize.query(`UPDATE mail_outbox SET next_attempt_at = now() + interval '1 hour' WHERE id = $1`, {
      bind: [pending.id],
    });
    expect(await mail.worker.runOnce()).toBe(1);
    expect(await body(sent.id)).toBe('');
    expect(await body(pending.id)).not.toBe('');

    expect(await mail.sweep(new Date(Date.now() + 29 * 24 * 3_600_000))).toBe(0);
    expect(await mail.sweep(new Date(Date.now() + 31 * 24 * 3_600_000))).toBe(1);
    expect((await mail.mailer.forUser('u2')).map((row) => row.id)).toEqual([pending.id]);
  });
});

describe('the outbox worker', () => {
  it('answers a pass asked for during another with the pass after it, which sees the message queued meanwhile', async () => {
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const db = await (await database()).open();
    const outbox = createMailOutboxQueries(db.models);
    const smtpSender = smtpTransport(smtpUrl(smtp.port));
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The real SMTP transport, held at its first message so that a pass is under way for certain.
    let first = true;
    const transport = {
      where: smtpSender.where,
      async send(message: Parameters<typeof smtpSender.send>[0]) {
        if (first) {
          first = false;
          await held;
        }
        return smtpSender.send(message);
      },
      close: () => smtpSender.close(),
    };
    const worker = createOutboxWorker({ outbox, transport, sealingKey: KEY, logger: createLogger('silent'), pollIntervalMs: 3_600_000 });
    cleanups.push(() => worker.stop());
    const mail = await mailFor(db);

    await mail.mailer.send({ to: 'first@example.com', kind: 'password_changed', values: {} });
    const firstPass = worker.runOnce();
    await waitFor(async () => !first, 10_000);
    await mail.mailer.send({ to: 'second@example.com', kind: 'password_changed', values: {} });
    const secondPass = worker.runOnce();
    release();

    expect(await firstPass).toBe(1);
    expect(await secondPass).toBe(1);
    expect(smtp.received.map((message) => message.header('To')).sort()).toEqual(['first@example.com', 'second@example.com']);
  });
});

describe('delivery to files', () => {
  it('writes an .eml file readable only by its owner under DATA_DIR/mail without SMTP_URL', async () => {
    // A DATA_DIR not made yet: the mail folder is the owner's alone, DATA_DIR keeps the usual mode.
    const dataDir = path.join(await tempDir(), 'data');
    const db = await (await database()).open();
    const logs: unknown[] = [];
    const mail = await mailFor(db, { dataDir, logs });
    mail.worker.start();
    const link = secretLink();
    await mail.mailer.send({ to: 'dan@example.com', kind: 'verify_email', values: { link } });
    await mail.worker.runOnce();

    const files = await readdir(path.join(dataDir, 'mail'));
    expect(files).toHaveLength(1);
    const file = path.join(dataDir, 'mail', files[0] ?? '');
    expect(file).toMatch(/\.eml$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dataDir, 'mail'))).mode & 0o777).toBe(0o700);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o777 & ~process.umask());
    const message = parse(await readFile(file, 'utf8'));
    expect(message.header('To')).toBe('dan@example.com');
    expect(message.text).toContain(link);
    expect(JSON.stringify(logs)).toContain(path.join(dataDir, 'mail'));
  });
});

describe('templates', () => {
  it('uses an operator override from the templates folder', async () => {
    const templatesDir = await tempDir();
    await writeFile(path.join(templatesDir, 'welcome.subject'), 'Hi from {{app_name}}');
    await writeFile(path.join(templatesDir, 'welcome.html'), '<p>Welcome {{email}} to <i>{{app_name}}</i></p>');
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const db = await (await database()).open();
    const mail = await mailFor(db, { smtpPort: smtp.port, templatesDir });
    await mail.mailer.send({ to: 'fay@example.com', kind: 'welcome', values: {}, appName: 'A&B' });
    await mail.worker.runOnce();
    expect(smtp.received[0]?.header('Subject')).toBe('Hi from A&B');
    expect(smtp.received[0]?.html).toContain('<p>Welcome fay@example.com to <i>A&amp;B</i></p>');
    expect(smtp.received[0]?.text).toContain('is ready');
  });

  it('refuses at start an override that uses a value its kind does not have', async () => {
    const templatesDir = await tempDir();
    await writeFile(path.join(templatesDir, 'password_changed.txt'), 'Open {{link}}');
    const db = await (await database()).open();
    await expect(mailFor(db, { templatesDir })).rejects.toThrow(/password_changed\.txt .*\{\{link\}\}/);
  });
});

describe('a running Tessera', () => {
  it('offers the mailer on its services, says once at start where mail goes, and delivers what it queues', async () => {
    const dataDir = await tempDir();
    const logs: { msg?: string; where?: string }[] = [];
    const tessera = await startTestTessera({ env: { DATA_DIR: dataDir }, logger: createLogger('info', logSink(logs)) });
    cleanups.push(() => tessera.stop());
    expect(logs.filter((line) => line.msg === 'mail goes to').map((line) => line.where)).toEqual([
      `files in ${path.join(dataDir, 'mail')}`,
    ]);
    await tessera.services.mailer.send({ to: 'gil@example.com', kind: 'welcome', values: {} });
    await waitFor(async () => (await readdir(path.join(dataDir, 'mail'))).length === 1, 30_000);
  });
});
