// Where the embedded server's admin credentials come from when it is started by hand.
import { parseAdminSpec, randomAdmin, type AdminCredentials } from './auth.js';

export interface AdminChoice {
  admin: AdminCredentials;
  /** True when nobody gave credentials and these were generated (the caller must show them). */
  generated: boolean;
  /** Something to tell the user on stderr, if any. */
  warning?: string;
}

/**
 * EMBEDDED_COUCH_ADMIN wins over a command-line `--admin` (which every local user can read in
 * `ps`, hence the warning); with neither, random credentials: there is never an admin party.
 */
export function chooseAdmin(flag: string | undefined, env: string | undefined): AdminChoice {
  if (env) return { admin: parseAdminSpec(env), generated: false };
  if (flag) {
    return {
      admin: parseAdminSpec(flag),
      generated: false,
      warning: '--admin puts the password in the process arguments, visible to every local user (ps); set EMBEDDED_COUCH_ADMIN instead',
    };
  }
  return { admin: randomAdmin(), generated: true };
}
