const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/**
 * Refuses a key that could leave its root (`..`, absolute, odd bytes).
 * Keys are made by the service; this guards against a bug, not a user.
 */
export function checkKey(key: string): string {
  if (!isKey(key)) throw new Error(`unsafe storage key: ${key}`);
  return key;
}

/** Whether `name` is a key the service could have made. */
export function isKey(name: string): boolean {
  return SAFE_KEY.test(name);
}

/** Refuses a listing prefix that is not '' or a folder of keys (`a/b/`). */
export function checkPrefix(prefix: string): string {
  if (prefix !== '' && !(prefix.endsWith('/') && isKey(prefix.slice(0, -1)))) {
    throw new Error(`not a folder of storage keys: ${prefix}`);
  }
  return prefix;
}
