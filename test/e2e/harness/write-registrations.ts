import { resolve } from 'node:path';
import { APPSERVICES, writeRegistrations } from './appservices.js';

/**
 * `npm run e2e:registrations -- DIR [SERVER_NAME] [PORT_BASE]`: writes the tier's
 * registrations for a homeserver of your own. List the files in its
 * app_service_config_files, restart it, then run the tier with
 * BRIDGEKIT_E2E_REGISTRATIONS_DIR=DIR (and the same BRIDGEKIT_E2E_PORT_BASE).
 */
const [dir, serverName = 'localhost', portBase = '24500'] = process.argv.slice(2);
if (!dir || !/^\d+$/.test(portBase)) {
  process.stderr.write('usage: npm run e2e:registrations -- DIR [SERVER_NAME (localhost)] [PORT_BASE (24500)]\n');
  process.exit(2);
}
const written = await writeRegistrations(resolve(dir), Number(portBase), serverName);
for (const appservice of written) process.stdout.write(`${appservice.path}  (${appservice.registration.url}, slot ${APPSERVICES[appservice.name].slot})\n`);
