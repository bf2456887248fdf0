export { Store, put, del, DEFAULT_POOL_SIZE } from './store.js';
export type { Section, WriteOp, StoreOptions, RawPut, StoreConfig, StoreDb, PostgresStoreOptions } from './store.js';
export { DEFAULT_SCHEMA, redactUrl, isPostgresUrl } from './postgres/sql.js';
export { postgresStatus, type PostgresStatus } from './postgres/status.js';
export { LATEST_VERSION as STORE_SCHEMA_VERSION } from './postgres/migrations.js';
export { Sections } from './layout.js';
export { StoreOpenError, describeOpenFailure } from './open-error.js';
export type { StoreOpenProblem } from './open-error.js';
export { isStoreError, errorLine } from './write-health.js';
