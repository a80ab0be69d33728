/**
 * A passkey authenticator in a few lines of Node crypto, for tests of the ceremony that need no
 * browser: it answers registration and sign-in options exactly as @simplewebauthn/browser would
 * send an authenticator's answer (ES256 key, "none" attestation), with the counter, flags and
 * origin a test chooses, so refusals (a counter going back, a foreign origin) can be provoked.
 * Chromium's virtual authenticator covers the real browser (test/account/passkeys.test.ts).
 * @see https://www.w3.org/TR/webauthn-3/#sctn-authenticator-data
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { AuthenticationResponse, RegistrationResponse } from '../../server/mfa/passkey-schemas.js';

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_BACKUP_ELIGIBLE = 0x08;
const FLAG_BACKED_UP = 0x10;
const FLAG_ATTESTED_DATA = 0x40;

export interface AuthenticatorOptions {
  origin: string;
  /** A synced passkey (backup eligible and backed up), or one bound to this device. */
  synced?: boolean;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export function createSoftwareAuthenticator({ origin, synced = false }: AuthenticatorOptions) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const credentialId = randomBytes(32);
  let userHandle = '';

  function authenticatorData(rpId: string, counter: number, userVerified: boolean, attested?: Uint8Array): Buffer {
    const flags =
      FLAG_USER_PRESENT |
      (userVerified ? FLAG_USER_VERIFIED : 0) |
      (synced ? FLAG_BACKUP_ELIGIBLE | FLAG_BACKED_UP : 0) |
      (attested ? FLAG_ATTESTED_DATA : 0);
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), counterBytes, ...(attested ? [attested] : [])]);
  }

  const clientData = (type: string, challenge: string) => Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

  return {
    credentialId: b64url(credentialId),
    /** The key and handle as Chromium's WebAuthn.addCredential takes them, to hand this passkey to a browser. */
    forBrowser: () => ({
      credentialId: credentialId.toString('base64'),
      privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      userHandle: Buffer.from(userHandle, 'base64url').toString('base64'),
    }),

    register(options: PublicKeyCredentialCreationOptionsJSON, { counter = 0, userVerified = true } = {}): RegistrationResponse {
      userHandle = options.user.id;
      const cosePublicKey = isoCBOR.encode(
        new Map<number, number | Uint8Array>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, Buffer.from(String(jwk.x), 'base64url')],
          [-3, Buffer.from(String(jwk.y), 'base64url')],
        ]),
      );
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(credentialId.length);
      const attested = Buffer.concat([Buffer.alloc(16), idLength, credentialId, cosePublicKey]);
      const authData = authenticatorData(options.rp.id ?? new URL(origin).hostname, counter, userVerified, attested);
      const attestationObject = isoCBOR.encode(
        new Map<string, string | Uint8Array | Map<string, string>>([
          ['fmt', 'none'],
          ['attStmt', new Map<string, string>()],
          ['authData', authData],
        ]),
      );
      return {
        id: b64url(credentialId),
        rawId: b64url(credentialId),
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', options.challenge)),
          attestationObject: b64url(attestationObject),
          transports: ['internal'],
        },
      };
    },

    /** An assertion answering `options` with this counter (the authenticator's count of its signatures). */
    assert(options: PublicKeyCredentialRequestOptionsJSON, counter: number, { userVerified = true } = {}): AuthenticationResponse {
      const authData = authenticatorData(options.rpId ?? new URL(origin).hostname, counter, userVerified);
      const clientDataJSON = clientData('webauthn.get', options.challenge);
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), privateKey);
      return {
        id: b64url(credentialId),
        rawId: b64url(credentialId),
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(clientDataJSON),
          authenticatorData: b64url(authData),
          signature: b64url(signature),
          ...(userHandle ? { userHandle } : {}),
        },
      };
    },
  };
}
