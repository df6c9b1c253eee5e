import { spawnSync } from 'node:child_process';

/** Runs a command as another local user (tests run as root and can switch with setpriv). */
export function runAsOtherUser(command: string, args: string[], timeoutMs = 10_000): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', command, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: res.status, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** True when this test run can switch users (root with setpriv); the tests that need it are skipped otherwise. */
export function canSwitchUser(): boolean {
  return process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
}
