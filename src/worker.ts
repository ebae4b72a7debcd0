/** The Cloudflare Worker entry: only wires the app. */
import { app } from './api/app.js';

export type { AppType } from './api/app.js';
/** The Durable Object class of training jobs (binding JOBS in wrangler.toml). */
export { TrainingJob } from './api/jobs/durable-object.js';
/** The Durable Object class of uploads in parts (binding UPLOADS). */
export { DatasetUpload } from './api/datasets/upload-object.js';
/** The Durable Object class of model uploads in parts (binding MODEL_UPLOADS). */
export { ModelUpload } from './api/models/upload-object.js';
/** The Durable Object of API keys (binding KEYS). */
export { KeyStore } from './api/keys/durable-object.js';
/** The Durable Object of the audit trail (binding AUDIT). */
export { AuditTrail } from './api/audit/durable-object.js';
/** The Durable Object of the running-jobs cap (binding RUNNING_JOBS). */
export { RunningJobs } from './api/jobs/running-jobs.js';
/** The Durable Object class of batch encodes (binding ENCODE_JOBS). */
export { EncodeJob } from './api/encode-jobs/durable-object.js';
export default app;
/** The Durable Object class of features jobs (binding FEATURE_JOBS). */
export { FeatureJob } from './api/features/durable-object.js';
/** The Durable Object class of encoder shards (binding ENCODE_SHARDS). */
export { EncoderShard } from './api/shards/durable-object.js';
