/** What `cached` needs of a Map or a WeakMap. */
interface PromiseStore<K, T> {
  get(key: K): Promise<T> | undefined;
  set(key: K, value: Promise<T>): unknown;
  delete(key: K): unknown;
}

/** One load per key: later callers share the promise; a failed load is forgotten so the next request retries. */
export function cached<K, T>(store: PromiseStore<K, T>, key: K, load: () => Promise<T>): Promise<T> {
  let loading = store.get(key);
  if (!loading) {
    loading = load();
    store.set(key, loading);
    loading.catch(() => store.delete(key));
  }
  return loading;
}
