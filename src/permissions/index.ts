/** Who may use the bridge, relay through it, administer it (config `permissions`). */
export {
  Permissions, PERMISSION_LEVELS, DEFAULT_PERMISSIONS, serverOf,
  type PermissionLevel, type PermissionsConfig, type PermissionCheck,
} from './permissions.js';
