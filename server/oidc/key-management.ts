/**
 * The operations behind keys.*: the published signing keys (public members only), and a
 * rotation that signs with new keys from the next request while every older key stays
 * published, so each token issued before still verifies.
 */
import type { NodeSignals } from '../events/node-signals.js';
import type { KeyMaterial, KeyStore, SigningKey } from './key-store.js';
import type { ProviderHost } from './provider-host.js';

export interface SigningKeyView {
  kid: string;
  alg: string;
  use: 'sig';
  kty: string;
  /** RSA */
  n?: string;
  e?: string;
  /** EC and OKP (Ed25519) */
  crv?: string;
  x?: string;
  y?: string;
  created_at: string;
  /** The key its algorithm signs with now. */
  current: boolean;
}

const PUBLIC_MEMBERS = ['n', 'e', 'crv', 'x', 'y'] as const;

function view(key: SigningKey, current: boolean): SigningKeyView {
  const members = Object.fromEntries(
    PUBLIC_MEMBERS.flatMap((member) => (typeof key.jwk[member] === 'string' ? [[member, key.jwk[member]]] : [])),
  );
  return { kid: key.kid, alg: key.alg, use: 'sig', kty: String(key.jwk.kty), ...members, created_at: key.createdAt.toISOString(), current };
}

/** oidc-provider signs with the first key of each algorithm, and the material lists keys newest first. */
function views(material: KeyMaterial): SigningKeyView[] {
  const seen = new Set<string>();
  return material.signingKeys.map((key) => {
    const current = !seen.has(key.alg);
    seen.add(key.alg);
    return view(key, current);
  });
}

export function createKeyManagement({
  keyStore,
  providers,
  signals,
}: {
  keyStore: KeyStore;
  providers: ProviderHost;
  signals: NodeSignals;
}) {
  return {
    list(): SigningKeyView[] {
      return views(providers.keys);
    },

    /** Returns the new keys, one per algorithm. */
    async rotate(): Promise<SigningKeyView[]> {
      const material = await keyStore.rotate();
      providers.replaceKeys(material);
      await signals.announce('keys.rotated');
      return views(material).filter((key) => key.current);
    },
  };
}

export type KeyManagement = ReturnType<typeof createKeyManagement>;
