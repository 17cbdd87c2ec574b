/**
 * A property computed on its first read, then kept as a plain value (enumerable, so JSON and
 * spreads see it; they also compute it). Assigning it replaces the value without computing it.
 * For what most runs never read: every unix socket as a record (a diagnosis reads the listening
 * ones and the inodes only; `sockdoc sockets --unix` and `why` read them all).
 */
export function lazyProperty<T extends object, K extends string, V>(target: T, key: K, make: () => V): T & Record<K, V> {
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get(this: object) {
      const value = make();
      Object.defineProperty(this, key, { value, enumerable: true, configurable: true, writable: true });
      return value;
    },
    set(this: object, value: V) {
      Object.defineProperty(this, key, { value, enumerable: true, configurable: true, writable: true });
    },
  });
  return target as T & Record<K, V>;
}
