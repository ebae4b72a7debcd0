/** The Cloudflare Worker entry: only wires the app. */
import { app } from './api/app.js';

export type { AppType } from './api/app.js';
export default app;
