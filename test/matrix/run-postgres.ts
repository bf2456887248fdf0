/**
 * `npm run test:postgres`: the store-touching suites again, on PostgreSQL. Starts a
 * throwaway cluster, runs mocha with the store switched (helpers/store-matrix.ts), stops
 * the cluster whatever happens. Arguments replace the default set of test files.
 */
import { spawn } from 'node:child_process';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPgCluster } from '../helpers/pg-cluster.js';

/** The suites whose parts keep data in the store (the whole suite on Level runs in `npm test`). */
export const STORE_SUITES = ['inbox', 'mirror', 'store', 'plugin', 'puppets', 'runtime', 'homeserver', 'bot', 'crypto', 'logins', 'portals', 'provisioning'];

/**
 * Tests of LevelDB itself (its lock, its files, a full disk under it), and tests that
 * compare the backends by name: they stay as they are. (The CLI's tests are left out as a
 * whole: they look at the Level folder, whether it exists; test/cli/migrate.test.ts covers
 * the commands on PostgreSQL.)
 */
export const LEVEL_ONLY = [
  'store/open-failures.test.js',
  'store/sticky-failure.test.js',
  'store/postgres.test.js',
  'runtime/store-full.test.js',
];

/** dist/test/, relative (mocha matches --ignore against the spec paths as written). */
const dist = `${relative(process.cwd(), fileURLToPath(new URL('..', import.meta.url)))}/`;
/** `--cluster`: the bridge suites in cluster mode (helpers/store-matrix.ts) instead of the store suites on PostgreSQL. */
const clusterMode = process.argv[2] === '--cluster';
const args = process.argv.slice(clusterMode ? 3 : 2);
/** Suites that start whole bridges (crypto: its bridges run without a device, the test homeserver has no crypto endpoints). */
export const CLUSTER_SUITES = ['plugin', 'portals', 'bot', 'puppets', 'provisioning', 'logins', 'media', 'bridges', 'runtime', 'cluster', 'crypto'];
/** abstract-level's own suite (a minute of checks): not in `npm test`, once here. */
const CONFORMANCE = `${dist}store/pg-level-conformance.test.js`;
const specs = args.length > 0 ? args
  : clusterMode ? CLUSTER_SUITES.map((dir) => `${dist}${dir}/**/*.test.js`)
  : [...STORE_SUITES.map((dir) => `${dist}${dir}/**/*.test.js`), CONFORMANCE];
const hook = fileURLToPath(new URL('../helpers/store-matrix.js', import.meta.url));

const cluster = await startPgCluster();
process.stdout.write(`PostgreSQL test cluster at ${cluster.url}\n`);
let code = 1;
try {
  code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [
      fileURLToPath(import.meta.resolve('mocha/bin/mocha.js')), '--no-config', '--timeout', '60000', '--exit',
      ...LEVEL_ONLY.flatMap((file) => ['--ignore', `${dist}${file}`]), ...specs,
    ], {
      stdio: 'inherit',
      env: {
        ...process.env,
        BRIDGEKIT_TEST_STORE: clusterMode ? 'cluster' : 'postgres',
        BRIDGEKIT_TEST_STORE_URL: cluster.url,
        NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import ${hook}`.trim(),
      },
    });
    child.on('error', reject);
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
} finally {
  await cluster.stop();
}
process.exit(code);
