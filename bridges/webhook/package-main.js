// This package's entry. bridgekit's one tsc run builds every bridge into dist/bridges/ at
// the repository's root (tsconfig.json); a path relative to this file's real location
// finds that build wherever the workspace links the package.
export * from '../../dist/bridges/webhook/index.js';
export { default } from '../../dist/bridges/webhook/index.js';
