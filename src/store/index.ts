export { Store, put, del } from './store.js';
export type { Section, WriteOp, StoreOptions, RawPut, BatchRider } from './store.js';
export { Sections } from './layout.js';
export { StoreOpenError, describeOpenFailure } from './open-error.js';
export type { StoreOpenProblem } from './open-error.js';
export { isStoreError, errorLine } from './write-health.js';
