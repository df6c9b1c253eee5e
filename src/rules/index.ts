// The rules of docs/rules.md as pure code: no I/O, no global mutable state.
export * from './e164.js';
export * from './db-name.js';
export * from './account.js';
export * from './time.js';
export * from './json.js';
export * from './number-doc.js';
export * from './listing.js';
export * from './account-doc.js';
export * from './truth.js';
