/**
 * Inputs of the account page's own calls (me.changePassword, me.changeEmail, me.delete,
 * me.returnTo; docs/contract.md's me.* rows), as strict zod schemas, and the shapes they answer.
 * me.update's input is users' `selfChanges` (server/users/user-schemas.ts). The sessions,
 * applications and linking calls (me.endSession, me.revokeApplication, me.link, me.unlink) too.
 */
import { z } from 'zod';
import { clientIdSchema } from '../clients/client-schemas.js';
import type { AccountMetadataField } from '../config.js';

/** As long as users.update takes; the connection's policy decides the floor. */
const password = z.string().min(1).max(1024);

export const changePasswordInput = z.strictObject({
  current_password: password,
  new_password: password,
});
export type ChangePasswordInput = z.infer<typeof changePasswordInput>;

export const changeEmailInput = z.strictObject({
  email: z.email().max(512),
});
export type ChangeEmailInput = z.infer<typeof changeEmailInput>;

/** Nothing to say but that it is meant: the call itself is the request. */
export const deleteSelfInput = z.strictObject({});

export const returnToInput = z.strictObject({
  url: z.string().min(1).max(2048),
});
export type ReturnToInput = z.infer<typeof returnToInput>;

/** me.settings: what the account page offers this person. */
export interface AccountPageSettings {
  metadata_fields: AccountMetadataField[];
  self_deletion: boolean;
  /** null: no database (or custom database) identity, so no password to change here. */
  password: { min_length: number } | null;
  /** The connections the person could link: every one they hold no identity in. */
  connections: Array<{ name: string; strategy: string }>;
  /** Whether passkeys can be added: not under an issuer that is an IP address, which WebAuthn refuses as relying party id. */
  passkeys: boolean;
}

/** The opaque id me.sessions hands out: a base64url SHA-256, 43 characters. */
export const endSessionInput = z.strictObject({ id: z.string().min(1).max(64) });

export const revokeApplicationInput = z.strictObject({ client_id: clientIdSchema });

/** An ID token is a few hundred bytes to a few kilobytes; anything far larger is not one. */
export const linkInput = z.strictObject({ id_token: z.string().min(1).max(16_384) });

export const unlinkInput = z.strictObject({ provider: z.string().min(1).max(128), user_id: z.string().min(1).max(512) });
