/** Module types for what wrangler (and the Workers vitest pool) bundle. */

/** `import mod from './x.wasm'` → a compiled WebAssembly.Module (wrangler's CompiledWasm rule). */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
