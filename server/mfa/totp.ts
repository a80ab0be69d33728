/**
 * Authenticator apps (TOTP): enrolment shows the secret as a QR code and in text, and one valid
 * code confirms it; a login's code is accepted one step (30 s) either side of now, and at most
 * once: the step of every accepted code is stored, and a code of that step or an earlier one is
 * refused. SHA-1, six digits and thirty seconds, because every authenticator app reads those.
 * The secret is sealed with SEALING_KEY, bound to its authenticator and user.
 * @see https://www.rfc-editor.org/rfc/rfc6238
 */
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { seal, unseal } from '../../adapters/crypto/sealing.js';
import type { TotpAuthenticatorQueries, TotpAuthenticatorRecord } from '../../adapters/queries/totp-authenticators.js';
import { DomainError } from '../errors.js';
import type { Authenticator } from './authenticator-schemas.js';
import type { FactorKind } from './authenticators.js';

const PERIOD_SECONDS = 30;
/** RFC 6238 §5.2: one step of clock drift either way. */
const WINDOW_STEPS = 1;
const DIGITS = 6;
/** RFC 4226 §4 asks for 128 bits at least, and recommends 160. */
const SECRET_BYTES = 20;
const ID_PREFIX = 'totp_';
/** How long an enrolment may wait for its first code: longer than any login interaction. */
const UNCONFIRMED_TTL_SECONDS = 24 * 60 * 60;
export const DEFAULT_TOTP_NAME = 'Authenticator app';

export const totpSecretBinding = (id: string, userId: string) => `TotpAuthenticator:${id}:${userId}`;

export interface TotpEnrolment {
  authenticator_id: string;
  /** Base32, for typing into an app that cannot scan. */
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}

export interface TotpDependencies {
  queries: TotpAuthenticatorQueries;
  sealingKey: Buffer;
  /** Shown by the app above the codes: the issuer's host name. */
  issuerName: string;
}

const invalidCode = () =>
  new DomainError('authenticator.invalid_code', 'That code is not valid; enter the current code of your app.', 'code');

/** Six digits, with the spaces some apps show in the middle taken out; undefined for anything else. */
export function normalizeTotpCode(code: string): string | undefined {
  const digits = code.replace(/\s+/g, '');
  return new RegExp(`^\\d{${DIGITS}}$`).test(digits) ? digits : undefined;
}

function present(record: TotpAuthenticatorRecord): Authenticator {
  return {
    id: record.id,
    type: 'totp',
    name: record.name,
    created_at: record.created_at.toISOString(),
    last_used_at: record.last_used_at?.toISOString() ?? null,
  };
}

export function createTotp({ queries, sealingKey, issuerName }: TotpDependencies) {
  const totpFor = (secret: Secret, label = 'account') =>
    new TOTP({ issuer: issuerName, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS, secret });

  const secretOf = (record: TotpAuthenticatorRecord) =>
    Secret.fromBase32(unseal(sealingKey, totpSecretBinding(record.id, record.user_id), record.secret));

  async function enrolmentOf(id: string, secret: Secret, accountName: string): Promise<TotpEnrolment> {
    const uri = totpFor(secret, accountName).toString();
    return {
      authenticator_id: id,
      secret: secret.base32,
      otpauth_uri: uri,
      qr_svg: await QRCode.toString(uri, { type: 'svg', margin: 1 }),
    };
  }

  /** Spends the code on this authenticator: true when it is valid now and no code of its step or a later one was used. */
  async function spend(record: TotpAuthenticatorRecord, code: string): Promise<boolean> {
    const now = Date.now();
    const totp = totpFor(secretOf(record));
    const delta = totp.validate({ token: code, timestamp: now, window: WINDOW_STEPS });
    if (delta === null) return false;
    return queries.spendStep(record.user_id, record.id, totp.counter({ timestamp: now }) + delta);
  }

  const kind: FactorKind = {
    type: 'totp',
    list: async (userId) => (await queries.listConfirmed(userId)).map(present),
    remove: (userId, id) => (id.startsWith(ID_PREFIX) ? queries.remove(userId, id) : Promise.resolve(false)),
    removeAll: (userId) => queries.removeAll(userId),
  };

  return {
    kind,

    /** Forgets enrolments abandoned before their first code. */
    sweep: () => queries.sweepUnconfirmed(UNCONFIRMED_TTL_SECONDS),

    /**
     * A new secret, unconfirmed until confirm(); an earlier unconfirmed enrolment of the user is
     * dropped. `accountName` is what the app shows beside the issuer (the user's email or username).
     */
    async enroll(userId: string, accountName: string, name = DEFAULT_TOTP_NAME): Promise<TotpEnrolment> {
      const id = `${ID_PREFIX}${randomBytes(12).toString('base64url')}`;
      const secret = new Secret({ size: SECRET_BYTES });
      await queries.insertUnconfirmed({ id, userId, name, secret: seal(sealingKey, totpSecretBinding(id, userId), secret.base32) });
      return enrolmentOf(id, secret, accountName);
    },

    /** The enrolment shown again (a wrong code at login's enrolment); undefined once confirmed or replaced. */
    async reveal(userId: string, authenticatorId: string, accountName: string): Promise<TotpEnrolment | undefined> {
      const record = await queries.find(userId, authenticatorId);
      if (!record || record.confirmed_at) return undefined;
      return enrolmentOf(record.id, secretOf(record), accountName);
    },

    /** Confirms an enrolment with a valid code (spent like a login's); authenticator.invalid_code otherwise. */
    async confirm(userId: string, authenticatorId: string, code: string): Promise<Authenticator> {
      const record = await queries.find(userId, authenticatorId);
      if (!record)
        throw new DomainError('authenticator.not_found', `no authenticator ${authenticatorId} for this user`, 'authenticator_id');
      const digits = normalizeTotpCode(code);
      if (digits === undefined || !(await spend(record, digits))) throw invalidCode();
      return present((await queries.find(userId, authenticatorId)) ?? record);
    },

    /** Whether the code is a valid, unused code of one of the user's confirmed authenticator apps; spends it if so. */
    async verify(userId: string, code: string): Promise<boolean> {
      const digits = normalizeTotpCode(code);
      if (digits === undefined) return false;
      for (const record of await queries.listConfirmed(userId)) {
        if (await spend(record, digits)) return true;
      }
      return false;
    },
  };
}

export type Totp = ReturnType<typeof createTotp>;
