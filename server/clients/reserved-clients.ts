/**
 * The clients Tessera registers and owns itself: the admin console's and the account page's.
 * clients.* may not create another under their ids, delete them or give them a secret, and may
 * change of them only what each allows (the console: which connections operators log in with;
 * the account page: nothing, since it offers every connection). A start rewrites the rest.
 */
import { DomainError } from '../errors.js';
import { ACCOUNT_CLIENT_ID } from './account-client.js';
import { CONSOLE_CLIENT_ID } from './console-client.js';

interface Reserved {
  /** What the client is, in the refusal's words. */
  readonly role: string;
  /** The fields clients.update may change. */
  readonly changeable: readonly string[];
}

const RESERVED: Readonly<Record<string, Reserved>> = {
  [CONSOLE_CLIENT_ID]: { role: "the admin console's own client", changeable: ['connections'] },
  [ACCOUNT_CLIENT_ID]: { role: "the account page's own client, offering every connection", changeable: [] },
};

export const isReservedClient = (clientId: string) => Object.hasOwn(RESERVED, clientId);

const reserved = (clientId: string, role: string, what: string) =>
  new DomainError('client.reserved', `${clientId} is ${role}, managed by Tessera: ${what}`, 'client_id');

/** clients.update of a reserved client: only the fields it allows. */
export function checkReservedChange(clientId: string, changed: readonly string[]): void {
  const entry = Object.hasOwn(RESERVED, clientId) ? RESERVED[clientId] : undefined;
  if (!entry) return;
  const refused = changed.filter((field) => !entry.changeable.includes(field));
  if (refused.length === 0) return;
  const allowed = entry.changeable.length > 0 ? `only its ${entry.changeable.join(', ')} can be changed` : 'nothing of it can be changed';
  throw reserved(clientId, entry.role, `${allowed}, not ${refused.join(', ')}`);
}

/** Deleting one, rotating a secret it does not have, or creating another client under its id. */
export function checkNotReserved(clientId: string, action: string): void {
  const entry = Object.hasOwn(RESERVED, clientId) ? RESERVED[clientId] : undefined;
  if (entry) throw reserved(clientId, entry.role, `it cannot be ${action}`);
}
