/**
 * A rendered message as the outbox stores it: sealed with the sealing key and bound to its row,
 * because it holds live verification and reset links.
 */
import { sealJson, unsealJson } from '../../adapters/crypto/sealing.js';
import type { OutgoingMessage } from './transport.js';

const boundTo = (id: string) => `mail_outbox:${id}`;

export function sealMessage(key: Buffer, id: string, message: OutgoingMessage): string {
  return sealJson(key, boundTo(id), message);
}

export function unsealMessage(key: Buffer, id: string, sealed: string): OutgoingMessage {
  return unsealJson(key, boundTo(id), sealed) as OutgoingMessage;
}
