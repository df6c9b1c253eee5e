import { spawnNumbersSync } from './child-daemon.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `numbers-sync <args>` to completion as a real child process. Server settings of the
 * test run itself (COUCHDB_URL, REDIS_URL, ...) are not inherited: pass what the command needs.
 */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  const inherited = { ...process.env };
  for (const key of Object.keys(inherited))
    if (key === 'COUCHDB_URL' || key === 'REDIS_URL' || key.startsWith('NUMBERS_SYNC_') || key === 'LOG_LEVEL') delete inherited[key];
  const child = spawnNumbersSync(args, { ...inherited, ...env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`numbers-sync ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
