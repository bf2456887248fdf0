// The types of package-main.js (tsconfig.json excludes this file from the build it points at).
export * from '../../dist/bridges/irc/index.js';
export { default } from '../../dist/bridges/irc/index.js';
