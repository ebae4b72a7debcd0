/**
 * `value` without its undefined members: options given as `{ epochs: undefined }` mean "not
 * given", so a default (or a saved value) still applies when they are spread over it.
 */
export function withoutUndefined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
