/**
 * A real SMTP server in process (smtp-server) with AUTH, keeping every message it receives,
 * decoded into its headers and its text and HTML parts, for tests to read what Tessera sent.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export const SMTP_USER = 'mailer';
export const SMTP_PASSWORD = `smtp-secret-${randomBytes(6).toString('hex')}`;

export interface Received {
  readonly raw: string;
  readonly header: (name: string) => string | undefined;
  readonly text: string;
  readonly html: string;
}

const decodeQuotedPrintable = (body: string) =>
  Buffer.from(
    body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');

/** The text/plain and text/html parts of a multipart/alternative message, decoded. */
export function parse(raw: string): Received {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const header = (name: string) =>
    unfolded
      .split(/\r?\n/)
      .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}: `))
      ?.slice(name.length + 2);
  const boundary = /boundary="?([^";]+)"?/.exec(unfolded)?.[1] ?? '';
  const parts = rest.join('\n\n').split(`--${boundary}`);
  const part = (type: string) => {
    const found = parts.find((candidate) => candidate.includes(`Content-Type: ${type}`)) ?? '';
    const [partHead = '', ...body] = found.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
    const content = body.join('\n\n');
    if (/Content-Transfer-Encoding: base64/i.test(partHead)) return Buffer.from(content, 'base64').toString('utf8');
    if (/Content-Transfer-Encoding: quoted-printable/i.test(partHead)) return decodeQuotedPrintable(content);
    return content;
  };
  return { raw, header, text: part('text/plain'), html: part('text/html') };
}

export interface TestSmtp {
  readonly port: number;
  readonly received: Received[];
  /** While true, every recipient is refused with a 451 (try again later). */
  refusing: boolean;
  close(): Promise<void>;
}

export async function startSmtp(port = 0): Promise<TestSmtp> {
  const state: TestSmtp = {
    port,
    received: [],
    refusing: false,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(new Error('bad credentials'));
    },
    onRcptTo(_address, _session, callback) {
      if (!state.refusing) return callback();
      const error = Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 });
      callback(error);
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        state.received.push(parse(Buffer.concat(chunks).toString('utf8')));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return Object.assign(state, { port: (server.server.address() as AddressInfo).port });
}

/** SMTP_URL of a TestSmtp, with the credentials it accepts. */
export const smtpUrl = (port: number) => `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}`;

/** The first message to `to` (and matching `subject` when given) that arrives within `timeoutMs`. */
export async function nextMessage(smtp: TestSmtp, to: string, options: { subject?: RegExp; after?: number; timeoutMs?: number } = {}) {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const found = smtp.received
      .slice(options.after ?? 0)
      .find(
        (message) =>
          (message.header('To') ?? '').includes(to) && (!options.subject || options.subject.test(message.header('Subject') ?? '')),
      );
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no message to ${to} arrived within the time allowed`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first link in a message's text part. */
export function linkIn(message: Received): string {
  const link = /https?:\/\/\S+/.exec(message.text)?.[0];
  if (!link) throw new Error(`no link in the message: ${message.text}`);
  return link;
}
