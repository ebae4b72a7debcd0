/**
 * Every problem type the API answers with (`urn:edge-sae:problem:<slug>`), and when. The one
 * list: `ApiError` takes only these slugs, and docs/API.md's list is generated from this table
 * (`npm run docs`; test/docs/generated-docs.test.ts fails when it is stale).
 */
export const PROBLEM_TYPES = {
  'validation-failed': 'a body, query or path parameter does not match the route\'s schema (each field in `errors`)',
  'invalid-data': 'a data cell is not a finite number, rows differ in length, or an upload\'s part has the wrong length (the part, row and column named)',
  'invalid-option': 'a model or training option is out of its range (the option named)',
  'invalid-input': 'data that the options cannot take, e.g. values outside [0, 1] with `normalize: "none"`',
  'invalid-model-file': 'an imported model file is malformed (the field named)',
  'model-overflow': 'a model\'s answer overflowed float32 on these rows (a code, output, error or metric became ±Infinity or NaN although its weights and scaling are finite, e.g. an imported model with weights near ±3.4e38): `model` and `output` name them, `row` the first row; never answered as null (422)',
  'training-diverged': 'a batch loss or a weight became NaN or Infinity; nothing is saved',
  'limit-exceeded': 'a configured limit was passed (`limit` and `value` name it; 413)',
  unauthorized: 'no token, a malformed one, an unknown, revoked or expired one (401)',
  forbidden: 'the token lacks the scope the route needs (`scope` names it; an encode-only token on a write), or is limited to other models, or acts on a key beyond its own scopes, models or expiry (403)',
  'rate-limited': 'the token\'s request rate is over the limit, or its client address sent too many managed keys the Worker had not seen (429, `Retry-After`)',
  'too-many-jobs': 'starting these jobs (one, or a sweep\'s trials) would pass MAX_RUNNING_JOBS, the jobs running at once in the deployment (429, `Retry-After`; `limit`, `value` and `running` name it)',
  'model-not-found': 'no model with that id (404)',
  'feature-not-found': 'the model has no feature with that number: `j` is a whole number but not below its hiddenSize (404)',
  'dataset-not-found': 'no dataset with that id (404), or it was deleted while a job trained on it',
  'dataset-corrupt': 'a stored dataset fails its own check: a shard missing, of another length than its manifest says, or (shard 0) another SHA-256; a download is refused before it starts (409, the shard named)',
  'job-not-found': 'no job with that id (404)',
  'features-not-found': 'the model has no finished features job for its current version (404): start one with POST /v1/models/{id}/features',
  'sweep-not-found': 'no sweep with that id (404)',
  'upload-not-found': 'no open upload in parts with that id: never started, aborted, or expired (404)',
  'upload-incomplete': 'an upload completed before all its parts arrived (409, `missing` lists the first of them)',
  'too-many-keys': 'MAX_KEYS managed keys are stored already; revoke some first (409; `limit` and `value` name it)',
  'key-not-found': 'no API key with that id (404), e.g. one already revoked',
  conflict: 'a concurrent write won (a retrain racing another, or a delete), or a finished job was cancelled (409)',
  'cannot-draw': 'the picture asked for cannot be drawn for this model, e.g. a `shape` that does not match its inputs (422)',
  'backend-unavailable': 'no kernel backend could be loaded in this Worker (503)',
  'shard-unavailable': 'a shard of a sharded encoder (docs/ENCODING.md) failed, restarted or did not answer in ENCODE_SHARD_TIMEOUT_MS; no partial answer is given (503, `Retry-After`; `shard` and `shards` name it)',
  'storage-unavailable': 'R2, the key store or the audit trail failed; nothing was changed, or the answer of a save was lost (503, `Retry-After`)',
} as const satisfies Record<string, string>;

export type ProblemType = keyof typeof PROBLEM_TYPES;
