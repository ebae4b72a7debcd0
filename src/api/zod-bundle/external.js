// zod's `z` namespace (zod/v4/classic/external.js of zod 4.6) without `locales`: the Worker's
// copy of zod, aliased for the bare "zod" in wrangler.toml [alias]. Why: @hono/zod-openapi passes
// `z` to extendZodWithOpenApi as a value, so no bundler can drop a member of it, and its
// `locales` member is zod's 40 error-message translations, 258 KiB of the Worker's 1.4 MiB; the
// API speaks English only (zod's default locale, set in classic/schemas.js, is kept).
// Everything else is re-exported as zod exports it. test/config/zod-bundle.test.ts checks this
// list against zod's own, so an upgrade that adds an export fails there rather than here.
export * as core from "./core.js";
export * from "../../../node_modules/zod/v4/classic/schemas.js";
export * from "../../../node_modules/zod/v4/classic/checks.js";
export * from "../../../node_modules/zod/v4/classic/errors.js";
export * from "../../../node_modules/zod/v4/classic/parse.js";
export * from "../../../node_modules/zod/v4/classic/compat.js";
export { globalRegistry, registry, config, memoizer, $output, $input, $brand, clone, regexes, treeifyError, prettifyError, formatError, flattenError, TimePrecision, util, NEVER, INVALID, toZod, compile, withParser, ZodCompileAsyncError, ZodCompileUnsupportedError, getDiscriminatedOption, } from "./core.js";
export { toJSONSchema } from "../../../node_modules/zod/v4/core/json-schema-processors.js";
export { fromJSONSchema } from "../../../node_modules/zod/v4/classic/from-json-schema.js";
export { deepPartial } from "../../../node_modules/zod/v4/classic/deep-partial.js";
export { input, output } from "../../../node_modules/zod/v4/classic/in-out.js";
export { ZodISODateTime, ZodISODate, ZodISOTime, ZodISODuration } from "../../../node_modules/zod/v4/classic/iso.js";
export * as iso from "../../../node_modules/zod/v4/classic/iso.js";
export * as coerce from "../../../node_modules/zod/v4/classic/coerce.js";
