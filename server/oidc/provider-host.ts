/**
 * Holds the current oidc-provider instance. oidc-provider reads its signing keys once, at
 * construction, so a key rotation builds a new instance over the same storage and swaps it in;
 * flows and tokens in flight live in the adapters and carry over.
 */
import type { Middleware } from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type { KeyMaterial } from './key-store.js';

export interface ProviderHost {
  readonly provider: Provider;
  readonly keys: KeyMaterial;
  /** Koa middleware that always serves the current instance. */
  readonly middleware: Middleware;
  replaceKeys(keys: KeyMaterial): void;
}

export function createProviderHost(build: (keys: KeyMaterial) => Provider, initial: KeyMaterial): ProviderHost {
  let keys = initial;
  let provider = build(keys);
  let mounted = mount(provider);
  return {
    get provider() {
      return provider;
    },
    get keys() {
      return keys;
    },
    middleware: (ctx, next) => mounted(ctx, next),
    replaceKeys(next) {
      keys = next;
      provider = build(keys);
      mounted = mount(provider);
    },
  };
}
