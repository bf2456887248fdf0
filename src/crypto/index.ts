export { CryptoService, type CryptoServiceOptions, type DecryptResult } from './service.js';
export { CryptoStoreLost, type DeviceRecord } from './device.js';
export { cryptoSections } from './sections.js';
export { CryptoUsers, type CryptoUserOptions } from './crypto-users.js';
