/**
 * abstract-level's own test suite (the one every implementation runs: 4,000 checks of
 * get, batch, iterators, ranges, seek, encodings, sublevels, events) against PgLevel, on
 * the server at `BRIDGEKIT_TEST_STORE_URL`, a schema per database it opens. Run by
 * pg-level-conformance.test.ts in a process of its own, as the suite is written for tape.
 */
import { createRequire } from 'node:module';
import { PgLevel } from '../../src/store/postgres/pg-level.js';

const require = createRequire(import.meta.url);
const test = require('tape') as { onFinish(f: () => void): void };
const suite = require('abstract-level/test') as (options: { test: unknown; factory: (options?: object) => unknown }) => void;

const url = process.env['BRIDGEKIT_TEST_STORE_URL']!;
const prefix = process.env['CONFORMANCE_SCHEMA_PREFIX'] ?? 'al';
let n = 0;
test.onFinish(() => process.exit(0));
suite({ test, factory: (options = {}) => new PgLevel({ url, schema: `${prefix}_${n++}`, poolSize: 2, sync: false }, options) });
