export { Store, put, del } from './store.js';
export type { Section, WriteOp, StoreOptions } from './store.js';
export { Sections } from './layout.js';
