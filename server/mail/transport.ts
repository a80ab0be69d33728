/**
 * Where a rendered message goes: through SMTP when SMTP_URL is set (nodemailer), otherwise into
 * an .eml file under DATA_DIR/mail/ (nodemailer's stream transport gives the RFC 822 bytes).
 * `where` describes the destination for the start-up log: never the SMTP credentials.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface OutgoingMessage {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailTransport {
  readonly where: string;
  send(message: OutgoingMessage): Promise<{ messageId: string }>;
  close(): void;
}

export function smtpTransport(smtpUrl: string): MailTransport {
  const transporter = nodemailer.createTransport(smtpUrl);
  const url = new URL(smtpUrl);
  return {
    where: `SMTP ${url.protocol}//${url.host}`,
    async send(message) {
      const info = await transporter.sendMail(message);
      return { messageId: info.messageId };
    },
    close: () => transporter.close(),
  };
}

/** Files sort by time: an ISO timestamp first, then randomness against collisions in one millisecond. */
export function fileTransport(folder: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  // Made at the first message rather than at start, so a Tessera that never sends mail leaves no folder.
  let folderMade: Promise<unknown> | undefined;
  return {
    where: `files in ${folder}`,
    async send(message) {
      const info = await transporter.sendMail(message);
      // DATA_DIR keeps its usual mode (a recursive mkdir would give it 0700 too, and the embedded
      // PostgreSQL's own OS user could then not enter it at the next start as root); the mail folder is the owner's.
      folderMade ??= mkdir(path.dirname(folder), { recursive: true })
        .then(() => mkdir(folder, { recursive: true, mode: 0o700 }))
        .catch((error: unknown) => {
          folderMade = undefined;
          throw error;
        });
      await folderMade;
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`;
      // The message holds live links: only the owner may read it.
      await writeFile(path.join(folder, name), info.message as Buffer, { mode: 0o600, flag: 'wx' });
      return { messageId: info.messageId };
    },
    close: () => transporter.close(),
  };
}
