/**
 * `oidc-provider-published` is oidc-provider as npm publishes it (an npm alias, a dev
 * dependency), for the bare provider the benchmarks measure Tessera against: Tessera's own copy
 * carries the patches in `patches/`. Same version, so the same types.
 */
declare module 'oidc-provider-published' {
  export * from 'oidc-provider';
  export { default } from 'oidc-provider';
}

/** The library's in-memory adapter, which the bare provider uses when given no other. */
declare module 'oidc-provider-published/lib/adapters/memory_adapter.js' {
  import type { Adapter } from 'oidc-provider';
  export function createMemoryAdapter(clockTolerance?: number): (model: string) => Adapter;
}
