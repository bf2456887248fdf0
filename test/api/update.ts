/** `npm run api:update`: rewrites api/exports.json from the build, after a deliberate API change. */
import { writeFile } from 'node:fs/promises';
import { apiReport, ROOT } from './report.js';

export const REPORT_FILE = `${ROOT}api/exports.json`;

export function formatReport(report: unknown): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(REPORT_FILE, formatReport(await apiReport()));
  process.stdout.write(`wrote ${REPORT_FILE}: review its diff, and say what changed in CHANGELOG.md\n`);
}
