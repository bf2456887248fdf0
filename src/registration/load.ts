import { existsSync } from 'node:fs';
import type { BridgeConfig } from '../config/index.js';
import { ConfigError, configErrorFrom, readYamlFile } from '../config/index.js';
import { registrationSchema, type Registration } from './schema.js';

export function validateRegistration(raw: unknown, source: string): Registration {
  const result = registrationSchema.safeParse(raw ?? {});
  if (!result.success) throw configErrorFrom(source, result.error.issues);
  return result.data;
}

/** The registration must describe this bridge: same id, bot and URL as the config. */
export function checkAgreesWithConfig(registration: Registration, config: BridgeConfig, source: string): void {
  const problems: string[] = [];
  if (registration.id !== config.appservice.id) {
    problems.push(`id: is '${registration.id}' but appservice.id in the config is '${config.appservice.id}'`);
  }
  if (registration.sender_localpart !== config.appservice.bot) {
    problems.push(`sender_localpart: is '${registration.sender_localpart}' but appservice.bot in the config is '${config.appservice.bot}'`);
  }
  if (registration.url !== config.appservice.url) {
    problems.push(`url: is '${registration.url}' but appservice.url in the config is '${config.appservice.url}'`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`${source}: does not match the config\n  ${problems.join('\n  ')}`, problems);
  }
}

export async function loadRegistration(path: string, config?: BridgeConfig): Promise<Registration> {
  if (!existsSync(path)) {
    throw new ConfigError(
      `registration ${path} does not exist (appservice.registration): write it with `
      + `'bridgekit generate-registration -c ${config?.configFile ?? '<config.yaml>'}', then add it to the homeserver's app_service_config_files`,
    );
  }
  const registration = validateRegistration(await readYamlFile(path, 'registration'), path);
  if (config) checkAgreesWithConfig(registration, config, path);
  return registration;
}
