import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { copyStore, countSections, DEFAULT_SCHEMA, isPostgresUrl, redactUrl, Store, StoreOpenError } from '../store/index.js';
import { pendingItems } from '../cluster/index.js';
import { parseCommandArgs, seeHelp } from './args.js';
import type { Command } from './command.js';
import { out, UsageError } from './output.js';
import { progress } from './progress.js';

const usage = `bridgekit migrate --from <store> --to <store> [--from-schema s] [--to-schema s]
bridgekit migrate --schema-only --to <postgres url> [--to-schema s]

Copies a stopped bridge's store to another backend: a Level folder (a path) or a
PostgreSQL database (a postgres:// URL), either way round. Every section is copied,
bytes as they are, into an empty target; then both sides are counted section by section
and any difference is an error (exit code 1). Point store.path or store.url at the
target afterwards. The bridge must be stopped (the source is refused while it runs).

--schema-only applies the PostgreSQL schema migrations to --to and copies nothing (the
bridge applies them itself at start; this is for a database user that may not).

  --from          the store to copy (a path or a postgres:// URL)
  --to            where to copy it (must be empty)
  --from-schema   PostgreSQL schema of --from (default ${DEFAULT_SCHEMA})
  --to-schema     PostgreSQL schema of --to (default ${DEFAULT_SCHEMA})
  --schema-only   only migrate the schema of --to`;

const options = {
  from: { type: 'string' }, to: { type: 'string' }, 'from-schema': { type: 'string' }, 'to-schema': { type: 'string' },
  'schema-only': { type: 'boolean' },
} as const;

const shown = (location: string) => (isPostgresUrl(location) ? redactUrl(location) : location);

async function openAt(location: string, schema: string | undefined, role: 'source' | 'target'): Promise<Store> {
  try {
    if (isPostgresUrl(location)) return await Store.openPostgres(location, { schema: schema ?? DEFAULT_SCHEMA });
    // Opening a Level folder that is not there would make an empty store to copy from.
    if (role === 'source' && !existsSync(location)) throw new UsageError(`bridgekit migrate: there is no store at ${location}`);
    return await Store.open(resolve(location));
  } catch (e) {
    if (e instanceof StoreOpenError) throw new UsageError(`bridgekit migrate: ${e.message}`);
    throw e;
  }
}

/**
 * A cluster's shared journal is a table of its own, not a section of the store: items it
 * holds unhandled would not be copied. They are moved into the store's journal by a
 * one-process start (or handled by the cluster) first.
 */
async function refuseUnhandledSharedItems(source: Store, from: string): Promise<void> {
  const db = source.postgres;
  if (!db) return;
  const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pendingItems(db.tables)}`, []);
  const unhandled = rows[0]?.n ?? 0;
  if (unhandled > 0) {
    throw new UsageError(`bridgekit migrate: the cluster's shared journal in ${shown(from)} holds ${unhandled} unhandled item(s), which a copy would lose: `
      + 'start the bridge once with cluster.enabled false on this database (it moves them into its own journal) and stop it, or let the cluster handle them, then migrate');
  }
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'copy a store between Level and PostgreSQL, verified by counts',
  usage,

  async run(argv) {
    const { values } = parseCommandArgs(this.name, argv, options);
    if (values['help']) {
      out(usage);
      return 0;
    }
    const from = values['from'] as string | undefined;
    const to = values['to'] as string | undefined;
    const fromSchema = values['from-schema'] as string | undefined;
    const toSchema = values['to-schema'] as string | undefined;
    if (to === undefined) throw new UsageError(`bridgekit migrate: missing --to\n${seeHelp(this.name)}`);
    if (values['schema-only']) {
      if (!isPostgresUrl(to)) throw new UsageError('bridgekit migrate: --schema-only needs a postgres:// URL as --to');
      const store = await openAt(to, toSchema, 'target');
      await store.close();
      out(`${shown(to)}: the schema ${toSchema ?? DEFAULT_SCHEMA} is migrated`);
      return 0;
    }
    if (from === undefined) throw new UsageError(`bridgekit migrate: missing --from\n${seeHelp(this.name)}`);
    const source = await openAt(from, fromSchema, 'source');
    let target: Store | undefined;
    try {
      await refuseUnhandledSharedItems(source, from);
      target = await openAt(to, toSchema, 'target');
      const total = [...(await countSections(source)).values()].reduce((a, b) => a + b, 0);
      const bar = progress(total, 'migrate');
      const result = await copyStore(source, target, (n) => bar.tick(n));
      bar.done();
      for (const [name, count] of [...result.source].sort(([a], [b]) => a.localeCompare(b))) {
        out(`${name}\t${count}\t${result.target.get(name) ?? 0}`);
      }
      if (result.mismatched.length > 0) {
        out(`the counts differ in ${result.mismatched.join(', ')}: do not use ${shown(to)}`);
        return 1;
      }
      out(`copied ${total} key(s) in ${result.source.size} section(s) from ${shown(from)} to ${shown(to)}; the counts agree`);
      return 0;
    } catch (e) {
      if (e instanceof Error && /is not empty/.test(e.message)) throw new UsageError(`bridgekit migrate: ${e.message}`);
      throw e;
    } finally {
      await source.close();
      await target?.close();
    }
  },
};
