/**
 * A managed key's secret: `esk_<id>_<secret>`, where both parts are ids of 160 random bits
 * (storage-keys.ts). The id names the key in the store, in GET /v1/keys and in the audit trail;
 * the secret part is what makes the whole unguessable. Only the SHA-256 of the whole is stored.
 */
import { newId } from '../storage-keys.js';

const KEY_PATTERN = /^esk_([a-z2-7]{32})_[a-z2-7]{32}$/;

/** A new key: its id and the secret to show once. */
export function newKeySecret(): { id: string; secret: string } {
  const id = newId();
  return { id, secret: `esk_${id}_${newId()}` };
}

/** The key id inside a bearer token of the managed form; null when the token is not of that form. */
export function keyIdOf(token: string): string | null {
  return KEY_PATTERN.exec(token)?.[1] ?? null;
}

/** SHA-256 of `text`. */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
