/**
 * What flows call to send mail: renders the message of a catalogue kind and writes it to the
 * outbox, inside the caller's transaction when given one, so a message exists if and only if
 * the write that causes it committed. Delivery is the outbox worker's job.
 */
import { randomUUID } from 'node:crypto';
import type { MailOutboxQueries, OutboxSummary } from '../../adapters/queries/mail-outbox.js';
import type { Transaction } from '../../adapters/queries/transaction.js';
import type { MessageKind, MessageValues } from './catalogue.js';
import { sealMessage } from './sealed-message.js';
import type { Templates } from './templates.js';

export interface SendRequest<K extends MessageKind> {
  readonly to: string;
  readonly kind: K;
  readonly values: MessageValues<K>;
  /** The application the person came from; the mailer's default name otherwise. */
  readonly appName?: string | undefined;
  readonly userId?: string | undefined;
  readonly transaction?: Transaction | undefined;
}

export interface Mailer {
  send<K extends MessageKind>(request: SendRequest<K>): Promise<{ id: string }>;
  /** A user's messages for operators: kind, status, attempts and last error, never the message. */
  forUser(userId: string): Promise<OutboxSummary[]>;
}

export interface MailerOptions {
  readonly outbox: MailOutboxQueries;
  readonly templates: Templates;
  readonly sealingKey: Buffer;
  readonly from: string;
  readonly appName: string;
  /** Called once a message is committed, so the worker need not wait for its next poll. */
  readonly onQueued?: () => void;
}

export function createMailer(options: MailerOptions): Mailer {
  const { outbox, templates, sealingKey, from, onQueued } = options;
  return {
    async send({ to, kind, values, appName, userId, transaction }) {
      const rendered = templates.render(kind, { ...values, app_name: appName ?? options.appName, email: to });
      const id = randomUUID();
      const message = sealMessage(sealingKey, id, { from, to, ...rendered });
      await outbox.insert({ id, recipient: to, kind, message, userId }, transaction);
      if (onQueued) {
        if (transaction) transaction.afterCommit(onQueued);
        else onQueued();
      }
      return { id };
    },
    forUser: (userId) => outbox.forUser(userId),
  };
}
