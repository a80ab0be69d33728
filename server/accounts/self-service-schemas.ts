/**
 * The inputs of the account page's sessions, applications and linking calls (me.endSession,
 * me.revokeApplication, me.link, me.unlink): strict, so an unknown field is a BAD_REQUEST.
 */
import { z } from 'zod';
import { clientIdSchema } from '../clients/client-schemas.js';

/** The opaque id me.sessions hands out: a base64url SHA-256, 43 characters. */
export const endSessionInput = z.strictObject({ id: z.string().min(1).max(64) });

export const revokeApplicationInput = z.strictObject({ client_id: clientIdSchema });

/** An ID token is a few hundred bytes to a few kilobytes; anything far larger is not one. */
export const linkInput = z.strictObject({ id_token: z.string().min(1).max(16_384) });

export const unlinkInput = z.strictObject({ provider: z.string().min(1).max(128), user_id: z.string().min(1).max(512) });
