/** Why a store would not open, in the terms an operator acts on. */
export type StoreOpenProblem = 'locked' | 'cannot-create' | 'not-writable' | 'read-only' | 'damaged' | 'disk-full' | 'unreachable' | 'refused' | 'schema-too-new' | 'other';

/**
 * A store that would not open: one line naming the folder, what is wrong and what to do.
 * Level's own error ("Database failed to open") stays as the cause.
 */
export class StoreOpenError extends Error {
  constructor(readonly path: string, readonly problem: StoreOpenProblem, readonly detail: string, readonly advice: string, cause: unknown) {
    super(`the store ${path} ${detail}: ${advice}`, { cause });
    this.name = 'StoreOpenError';
  }
}

interface ErrorParts {
  readonly code?: string;
  readonly syscall?: string;
  readonly message: string;
}

function partsOf(err: unknown): ErrorParts {
  const e = err as { code?: unknown; syscall?: unknown; message?: unknown } | undefined;
  return {
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.syscall === 'string' ? { syscall: e.syscall } : {}),
    message: (typeof e?.message === 'string' ? e.message : String(err)).split('\n')[0] ?? '',
  };
}

/** Level's error, or what it wraps (`Database failed to open` carries the real one as its cause). */
function rootCause(err: unknown): ErrorParts {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return partsOf(cause ?? err);
}

const whoAmI = (): string => (typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'this user');

/** Names the problem behind a failed `Level.open` of `path`. */
export function describeOpenFailure(path: string, err: unknown): StoreOpenError {
  const cause = rootCause(err);
  const make = (problem: StoreOpenProblem, detail: string, advice: string) => new StoreOpenError(path, problem, detail, advice, err);
  const said = (pattern: RegExp) => pattern.test(cause.message);
  if (cause.code === 'LEVEL_LOCKED') {
    return make('locked', 'is in use by another process (another `bridgekit run` on the same store?)',
      'stop that process first, or give this bridge its own store.path');
  }
  if (cause.syscall === 'mkdir' || cause.code === 'ENOTDIR' || cause.code === 'EEXIST') {
    const why = cause.code === 'EEXIST' ? 'exists and is not a folder'
      : cause.code === 'ENOTDIR' ? 'cannot be created: part of its path is a file, not a folder'
      : cause.code === 'EACCES' || cause.code === 'EPERM' ? `cannot be created: ${whoAmI()} may not write to its parent folder`
      : `cannot be created (${cause.message})`;
    return make('cannot-create', why, 'create the folder (writable by the bridge\'s user) or point store.path at one');
  }
  if (said(/Read-only file system/i) || cause.code === 'EROFS') {
    return make('read-only', 'is on a read-only file system', 'remount it read-write, or point store.path at a writable disk');
  }
  if (said(/Permission denied|Operation not permitted/i) || cause.code === 'EACCES' || cause.code === 'EPERM') {
    return make('not-writable', `is not writable by ${whoAmI()} (${cause.message})`,
      'give the bridge\'s user the folder and its files (e.g. chown -R <user> <store.path>), or run the bridge as their owner');
  }
  if (said(/No space left on device/i) || cause.code === 'ENOSPC') {
    return make('disk-full', 'cannot be opened: its disk is full', 'free space on that disk, then start again');
  }
  if (cause.code === 'LEVEL_CORRUPTION' || said(/^Corruption:|CURRENT|MANIFEST/)) {
    return make('damaged', `is damaged (${cause.message})`,
      'restore the folder from a backup; the bridge must not start on a store that lost its index of files');
  }
  return make('other', `could not be opened (${cause.message})`, 'check that store.path is a bridgekit Level store the bridge\'s user can write');
}

/** SQLSTATE classes of a login PostgreSQL refused: bad password or role (28), no such database (3D). */
const REFUSED_STATES = /^(28|3D)/;

/** Names the problem behind a failed open of the PostgreSQL store at `location` (its URL without password). */
export function describePgOpenFailure(location: string, err: unknown): StoreOpenError {
  const make = (problem: StoreOpenProblem, detail: string, advice: string) => new StoreOpenError(location, problem, detail, advice, err);
  // abstract-level's "Database failed to open" carries the driver's error as its cause.
  const inner = (err as { cause?: unknown } | undefined)?.cause ?? err;
  const cause = partsOf(inner);
  if (cause.code === 'LEVEL_LOCKED') {
    return make('locked', 'is in use by another process (another `bridgekit run` on the same store?)',
      'stop that process first, or give this bridge its own store.schema or database');
  }
  if (inner instanceof Error && inner.name === 'SchemaTooNewError') {
    return make('schema-too-new', `cannot be used (${cause.message})`, 'upgrade bridgekit; never point an older release at a newer schema');
  }
  if (cause.code !== undefined && REFUSED_STATES.test(cause.code)) {
    return make('refused', `refused the connection (${cause.message})`, 'check the user, password and database name in store.url');
  }
  if (cause.code === 'ECONNREFUSED' || cause.code === 'ENOTFOUND' || cause.code === 'ETIMEDOUT' || cause.code === 'EHOSTUNREACH') {
    return make('unreachable', `cannot be reached (${cause.message})`, 'check the host and port in store.url and that PostgreSQL is running');
  }
  if (cause.code === '42501') {
    return make('not-writable', `does not let this user create bridgekit's tables (${cause.message})`,
      'grant the user CREATE on the schema, or apply the migrations as its owner: bridgekit migrate --schema-only --to <url>');
  }
  return make('other', `could not be opened (${cause.message})`, 'check store.url and that the database accepts this user');
}
