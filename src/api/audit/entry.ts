/**
 * One entry of the audit trail, as ./durable-object.ts keeps it and GET /v1/audit answers it.
 * Every text field is bounded (./record.ts builds them): an entry is at most ~2 KB of JSON
 * whatever the request was (a key name of 200 characters that all need escaping is 1.2 KB of it),
 * so a page of MAX_LIST_LIMIT (100) entries is at most ~200 KB.
 */

export interface AuditEntry {
  /** Position in the trail (increasing). */
  seq: number;
  /** When it happened (the first of them, for a counted entry). */
  at: string;
  /** When the last request counted in it happened (= `at` when count is 1). */
  lastAt: string;
  /** How many requests it stands for: refused (403) writes of one key on one route within AUDIT_FOLD_SECONDS are counted in one entry. */
  count: number;
  /** The key that sent it: a managed key's id, or `API_TOKEN` / `ENCODE_TOKENS` for the bootstrap keys. */
  keyId: string;
  keyName: string;
  /** The route, e.g. `POST /v1/models/:id/train`. */
  action: string;
  /** The route with its parameters filled in where they are well-formed (an id, a part number), the placeholder left where they are not. */
  path: string;
  /** The id the write was about: the one it created, or the one in the path; null when neither is a well-formed id. */
  target: string | null;
  /** The model the write was about (its id), when there is one: what a key limited to models may read. */
  model: string | null;
  /** The HTTP status it was answered. */
  status: number;
}

export type AuditInput = Omit<AuditEntry, 'seq' | 'lastAt' | 'count'>;

/** The bounds of each text field, in characters (keyName is a NameSchema: at most 200). */
export const AUDIT_FIELD_MAX = { keyId: 64, keyName: 200, action: 200, path: 300, target: 64, model: 64 } as const;
