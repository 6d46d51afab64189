/**
 * The contracts' browser-safe runtime: modules with no runtime imports (no zod, no Node `Buffer`),
 * for `@chat/client`, which must run in browsers. Everything else a client needs from the
 * contracts is a type: import it with `import type` from `@chat/contracts`.
 */
export * from './log-fold.js';
export * from './server-frames.js';
