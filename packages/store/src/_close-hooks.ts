/**
 * What this package keeps per open store and must end with it (its writer thread): run by
 * `store.close()` before the connection closes. Internal, not exported from the package.
 *
 * @module
 */

/** Anything with a lifetime: the hooks are keyed by the store object. */
type _Key = object;

const _hooks = new WeakMap<_Key, (() => void)[]>();

/**
 * Runs `hook` when `store` is closed.
 *
 * @param store the open store
 * @param hook what to run; it must not throw
 */
export function onStoreClose(store: _Key, hook: () => void): void {
  const hooks = _hooks.get(store) ?? [];
  hooks.push(hook);
  _hooks.set(store, hooks);
}

/**
 * Runs (once) every hook registered for `store`.
 *
 * @param store the store being closed
 */
export function runCloseHooks(store: _Key): void {
  const hooks = _hooks.get(store) ?? [];
  _hooks.delete(store);
  for (const hook of hooks) hook();
}
