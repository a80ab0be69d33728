/**
 * Passkeys (WebAuthn) over @simplewebauthn/server: registering one to a user, and the two
 * ceremonies of signing in with one: passwordless (any discoverable credential, user verification
 * required) and as a second factor (only that user's credentials). The relying party is the
 * issuer: its hostname is the RP id and its origin the only one accepted.
 *
 * A challenge is kept in login_flows for a few minutes under a key naming what it was made for
 * (a user's registration, one interaction's sign-in), one at a time: a new prompt replaces the
 * one before (the browser aborts that one too, as the button's prompt aborts the autofill's), so
 * a page asking again and again holds one row, not one per request. It is taken when an answer
 * comes, which is judged once, and only if it signed that very challenge.
 * @see https://www.w3.org/TR/webauthn-3/
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { decodeClientDataJSON } from '@simplewebauthn/server/helpers';
import { StoreConflict } from '../../adapters/errors.js';
import type { LoginFlowQueries } from '../../adapters/queries/login-flows.js';
import type { WebauthnCredentialQueries, WebauthnCredentialRecord } from '../../adapters/queries/webauthn-credentials.js';
import { DomainError } from '../errors.js';
import type { AuthenticationMethod } from './authentication-methods.js';
import type { Authenticator } from './authenticator-schemas.js';
import type { FactorKind } from './authenticators.js';
import type { AuthenticationResponse, RegistrationResponse } from './passkey-schemas.js';

/** How long a browser has to answer a prompt; the challenge is kept as long, then forgotten. */
export const PASSKEY_CHALLENGE_TTL_SECONDS = 5 * 60;

export const PASSKEY_ID_PREFIX = 'webauthn_';

const DEFAULT_NAME = 'Passkey';

export interface PasskeyDependencies {
  issuer: string;
  credentials: WebauthnCredentialQueries;
  challenges: Pick<LoginFlowQueries, 'put' | 'take'>;
  /** The names the authenticator shows beside the passkey; undefined for an unknown user. */
  describeUser(userId: string): Promise<{ name: string; displayName: string } | undefined>;
  /** Told after a passkey was registered, as authenticators.ts tells of a removal. */
  changed(userId: string): Promise<void>;
}

/** A verified assertion: whose passkey it was, and how it counts in the ID token's amr. */
export interface PasskeyAssertion {
  userId: string;
  authenticatorId: string;
  /** hwk: a key bound to one device; swk: a synced passkey, whose key may leave the device. */
  method: Extract<AuthenticationMethod, 'hwk' | 'swk'>;
  userVerified: boolean;
}

/** What a sign-in prompt was opened for. */
export interface AuthenticationScope {
  /** The one user whose passkeys are asked for (a second factor); unset: anyone's discoverable one (passwordless). */
  userId?: string;
}

interface PendingChallenge {
  challenge: string;
  userId?: string;
  userVerification: 'required' | 'preferred';
}

/** Whether browsers take passkeys for this issuer: WebAuthn refuses an IP address as relying party id. */
export const passkeysPossible = (issuer: string) => isIP(new URL(issuer).hostname.replace(/^\[|\]$/g, '')) === 0;

const challengeKey = (purpose: 'registration' | 'authentication', binding: string) => `webauthn:${purpose}:${binding}`;

const userHandleOf = (userId: string) => new TextEncoder().encode(userId);

const registrationRefused = (message: string) => new DomainError('passkey.refused', message, 'response');
const signInRefused = (message = 'This passkey was not accepted.') => new DomainError('auth.invalid_credentials', message);

/** The challenge the browser signed, from its client data; undefined when that is not readable. */
function signedChallenge(response: { response: { clientDataJSON: string } }): string | undefined {
  try {
    const { challenge } = decodeClientDataJSON(response.response.clientDataJSON);
    return typeof challenge === 'string' && challenge.length > 0 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

export function presentPasskey(credential: WebauthnCredentialRecord): Authenticator {
  return {
    id: credential.id,
    type: 'webauthn',
    name: credential.name,
    created_at: credential.created_at.toISOString(),
    last_used_at: credential.last_used_at?.toISOString() ?? null,
  };
}

export function createPasskeys({ issuer, credentials, challenges, describeUser, changed }: PasskeyDependencies) {
  const { hostname: rpID, origin } = new URL(issuer);
  const timeout = PASSKEY_CHALLENGE_TTL_SECONDS * 1000;

  const kind: FactorKind = {
    type: 'webauthn',
    list: async (userId) => (await credentials.listForUser(userId)).map(presentPasskey),
    remove: (userId, authenticatorId) =>
      authenticatorId.startsWith(PASSKEY_ID_PREFIX) ? credentials.remove(userId, authenticatorId) : Promise.resolve(false),
    removeAll: (userId) => credentials.removeAll(userId),
  };

  return {
    kind,

    /** Options for navigator.credentials.create: a discoverable credential, verified user, none of the user's existing ones again. */
    async registrationOptions(userId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
      if (!passkeysPossible(issuer)) {
        throw new DomainError('passkey.refused', 'Passkeys need Tessera to be reached by a host name, not an IP address.');
      }
      const [user, existing] = await Promise.all([describeUser(userId), credentials.listForUser(userId)]);
      if (!user) throw new DomainError('user.not_found', 'user not found');
      const options = await generateRegistrationOptions({
        rpName: rpID,
        rpID,
        userID: userHandleOf(userId),
        userName: user.name,
        userDisplayName: user.displayName,
        timeout,
        attestationType: 'none',
        excludeCredentials: existing.map((credential) => ({ id: credential.credential_id, transports: credential.transports })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      await challenges.put(
        challengeKey('registration', userId),
        { challenge: options.challenge, userVerification: 'required' } satisfies PendingChallenge,
        PASSKEY_CHALLENGE_TTL_SECONDS,
      );
      return options;
    },

    /** Verifies the browser's answer to registrationOptions and keeps the passkey. */
    async register(userId: string, response: RegistrationResponse, name?: string): Promise<Authenticator> {
      const challenge = signedChallenge(response);
      const pending = (await challenges.take(challengeKey('registration', userId))) as PendingChallenge | undefined;
      if (!challenge || pending?.challenge !== challenge) {
        throw registrationRefused('This passkey prompt has expired or was already answered; please add the passkey again.');
      }
      const verification = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        requireUserVerification: true,
      }).catch(() => ({ verified: false }) as const);
      if (!verification.verified) throw registrationRefused('The passkey could not be verified.');
      const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
      try {
        const stored = await credentials.insert({
          id: `${PASSKEY_ID_PREFIX}${randomBytes(16).toString('base64url')}`,
          user_id: userId,
          credential_id: credential.id,
          public_key: credential.publicKey,
          counter: credential.counter,
          transports: credential.transports ?? [],
          device_type: credentialDeviceType,
          backed_up: credentialBackedUp,
          name: name ?? DEFAULT_NAME,
        });
        await changed(userId);
        return presentPasskey(stored);
      } catch (error) {
        if (error instanceof StoreConflict) throw new DomainError('passkey.exists', 'This passkey is registered already.', 'response');
        throw error;
      }
    },

    /**
     * Options for navigator.credentials.get, bound to `binding` (an interaction's uid): without a
     * user, any discoverable passkey of this RP with the user verified, since it is the only
     * factor; with one, only theirs, as a second factor after their first.
     */
    async authenticationOptions(binding: string, scope: AuthenticationScope = {}): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const { userId } = scope;
      const allowed = userId === undefined ? [] : await credentials.listForUser(userId);
      const userVerification = userId === undefined ? 'required' : 'preferred';
      const options = await generateAuthenticationOptions({
        rpID,
        timeout,
        userVerification,
        allowCredentials: allowed.map((credential) => ({ id: credential.credential_id, transports: credential.transports })),
      });
      const pending: PendingChallenge = { challenge: options.challenge, userVerification, ...(userId === undefined ? {} : { userId }) };
      await challenges.put(challengeKey('authentication', binding), { ...pending }, PASSKEY_CHALLENGE_TTL_SECONDS);
      return options;
    },

    /**
     * Verifies an assertion answering authenticationOptions(binding): the challenge taken once,
     * the credential known (and the user's, for a second factor), the signature, the user
     * verified when required, and a counter that grows. Refusals are auth.invalid_credentials.
     */
    async authenticate(binding: string, response: AuthenticationResponse): Promise<PasskeyAssertion> {
      const challenge = signedChallenge(response);
      const pending = (await challenges.take(challengeKey('authentication', binding))) as PendingChallenge | undefined;
      if (!challenge || pending?.challenge !== challenge) {
        throw signInRefused('This passkey prompt has expired or was already answered; please try again.');
      }
      const credential = await credentials.findByCredentialId(response.id);
      if (!credential || (pending.userId !== undefined && credential.user_id !== pending.userId)) throw signInRefused();
      const { userHandle } = response.response;
      if (userHandle !== undefined && userHandle !== Buffer.from(userHandleOf(credential.user_id)).toString('base64url')) {
        throw signInRefused();
      }
      const verification = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        credential: {
          id: credential.credential_id,
          publicKey: credential.public_key,
          counter: credential.counter,
          transports: credential.transports,
        },
        requireUserVerification: pending.userVerification === 'required',
      }).catch(() => undefined);
      if (!verification?.verified) throw signInRefused();
      const { newCounter, credentialBackedUp, credentialDeviceType, userVerified } = verification.authenticationInfo;
      // A counter that does not grow means a cloned authenticator, or this assertion used twice at once.
      if (!(await credentials.recordUse(credential.id, newCounter, credentialBackedUp))) throw signInRefused();
      return {
        userId: credential.user_id,
        authenticatorId: credential.id,
        method: credentialDeviceType === 'multiDevice' ? 'swk' : 'hwk',
        userVerified,
      };
    },
  };
}

export type Passkeys = ReturnType<typeof createPasskeys>;
