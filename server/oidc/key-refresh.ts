/**
 * Brings this node's signing keys up to date with the database after another node rotated
 * them: on that node's signal, and when a token names a key this node has not loaded yet
 * (the signal may still be on its way). At most one reload at a time.
 */
import type { KeyStore } from './key-store.js';
import type { ProviderHost } from './provider-host.js';

export function createKeyRefresher(keyStore: KeyStore, providers: ProviderHost) {
  let running: Promise<void> | undefined;

  async function reload(): Promise<void> {
    const material = await keyStore.load();
    const known = new Set(providers.keys.signingKeys.map((key) => key.kid));
    if (material.signingKeys.some((key) => !known.has(key.kid))) providers.replaceKeys(material);
  }

  return function refreshKeys(): Promise<void> {
    running ??= reload().finally(() => (running = undefined));
    return running;
  };
}

export type RefreshKeys = ReturnType<typeof createKeyRefresher>;
