// The Worker's "zod" (wrangler.toml [alias]): zod's index.js over ./external.js, zod without its locales.
import * as z from "./external.js";
export * from "./external.js";
export { z, z as default };
