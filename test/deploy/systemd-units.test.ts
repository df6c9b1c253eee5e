import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config/options.js';
import { REPO, run, which } from './tools.js';
import { parseUnitFile, setting, timeSpanMs, type UnitFile } from './unit-file.js';

const DIR = join(REPO, 'deploy/systemd');
const UNITS = { run: 'numbers-sync.service', work: 'numbers-sync-worker@.service' } as const;
const ENV_FILE = '/etc/numbers-sync/numbers-sync.env';
/** The daemon exits by itself this long after the shutdown timeout (src/cli/commands/daemon-commands.ts). */
const FORCED_EXIT_AFTER_MS = 15_000;
const systemdAnalyze = which('systemd-analyze');
const sysusers = which('systemd-sysusers');

const unit = (file: string): UnitFile => parseUnitFile(readFileSync(join(DIR, file), 'utf8'));
const defaultShutdownTimeoutMs = OPTIONS.shutdownTimeoutMs.schema.parse(undefined);

describe('systemd units (deploy/systemd)', () => {
  const temp = mkdtempSync(join(tmpdir(), 'nsync-units-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it.skipIf(!systemdAnalyze)(`pass systemd-analyze verify${systemdAnalyze ? '' : ' (skipped: systemd-analyze is not installed)'}`, async () => {
    // Verified as installed: the template as one instance. verify also checks that ExecStart's
    // binary exists; where node is not /usr/bin/node (a dev machine), point it at this node.
    const files = [
      [UNITS.run, UNITS.run],
      [UNITS.work, 'numbers-sync-worker@9465.service'],
    ].map(([from, to]) => {
      const text = readFileSync(join(DIR, from!), 'utf8');
      writeFileSync(join(temp, to!), existsSync('/usr/bin/node') ? text : text.replaceAll('/usr/bin/node', process.execPath));
      return join(temp, to!);
    });
    const result = await run(systemdAnalyze!, ['verify', '--man=no', ...files], { cwd: temp });
    // Unknown keys or misplaced settings are only warnings (exit 0): any output fails the test.
    expect(result.stderr + result.stdout).toBe('');
    expect(result.code).toBe(0);
  });

  it.skipIf(!systemdAnalyze)(
    `rate at most 2.0 (of 10) in systemd-analyze security${systemdAnalyze ? '' : ' (skipped: systemd-analyze is not installed)'}`,
    async () => {
      const files = [UNITS.run, UNITS.work].map((file) => {
        const to = join(temp, file === UNITS.work ? 'numbers-sync-worker@9466.service' : `security-${file}`);
        copyFileSync(join(DIR, file), to);
        return to;
      });
      // --threshold is in tenths: exit 1 when any unit's exposure is above 2.0.
      const result = await run(systemdAnalyze!, ['security', '--offline=yes', '--threshold=20', '--no-pager', ...files], { cwd: temp });
      expect(
        result.code,
        result.stdout
          .split('\n')
          .filter((l) => l.includes('Overall'))
          .join('\n'),
      ).toBe(0);
      expect(result.stdout.match(/Overall exposure level/g)).toHaveLength(2);
    },
  );

  it.skipIf(!systemdAnalyze)('verify would catch a broken unit (the check above is not vacuous)', async () => {
    const broken = readFileSync(join(DIR, UNITS.run), 'utf8').replace('ProtectHome=yes', 'ProtectHom=yes').replaceAll('/usr/bin/node', process.execPath);
    writeFileSync(join(temp, 'broken.service'), broken);
    const result = await run(systemdAnalyze!, ['verify', '--man=no', join(temp, 'broken.service')], { cwd: temp });
    expect(result.stderr).toContain("Unknown key 'ProtectHom'");
  });

  for (const [command, file] of Object.entries(UNITS)) {
    describe(file, () => {
      const u = unit(file);
      const service = (key: string) => setting(u, 'Service', key);

      it(`runs \`numbers-sync ${command}\` with the npm start heap cap`, () => {
        const exec = service('ExecStart')!;
        expect(exec).toMatch(new RegExp(`^/usr/bin/node --max-old-space-size=128 /opt/numbers-sync/bin/numbers-sync\\.js ${command}( |$)`));
        expect(service('WorkingDirectory')).toBe('/opt/numbers-sync');
      });

      it('stops within a timeout longer than the graceful shutdown (and the forced exit after it)', () => {
        const stopMs = timeSpanMs(service('TimeoutStopSec')!);
        expect(stopMs).toBeGreaterThan(defaultShutdownTimeoutMs);
        expect(stopMs).toBeGreaterThan(defaultShutdownTimeoutMs + FORCED_EXIT_AFTER_MS);
        expect(service('KillSignal') ?? 'SIGTERM').toBe('SIGTERM');
      });

      it('restarts on failure but not after a fatal credentials error (exit 2)', () => {
        expect(service('Restart')).toBe('on-failure');
        expect(service('RestartPreventExitStatus')?.split(/\s+/)).toContain('2');
      });

      it('is hardened: no new privileges, read-only system, private home and tmp, a dedicated user', () => {
        expect(service('NoNewPrivileges')).toBe('yes');
        expect(service('ProtectSystem')).toBe('strict');
        expect(service('ProtectHome')).toBe('yes');
        expect(service('PrivateTmp')).toBe('yes');
        expect(service('CapabilityBoundingSet')).toBe('');
        expect(service('User') ?? (service('DynamicUser') === 'yes' ? 'dynamic' : undefined)).toBeDefined();
        // V8 JIT writes executable memory; this setting would crash node at start.
        expect(service('MemoryDenyWriteExecute')).toBeUndefined();
      });

      it('reads settings and secrets from the environment file and keeps data in its state directory', () => {
        expect(service('EnvironmentFile')).toBe(ENV_FILE);
        const state = service('StateDirectory');
        expect(state).toBe('numbers-sync');
        expect(u.get('Service')?.get('Environment')).toContain(`NUMBERS_SYNC_DATA_DIR=%S/${state}`);
        // The flag beats a NUMBERS_SYNC_DATA_DIR left in the environment file.
        expect(service('ExecStart')).toContain(`--data-dir %S/${state}`);
      });
    });
  }

  it('gives each worker instance its own ops endpoint port (the instance name)', () => {
    expect(setting(unit(UNITS.work), 'Service', 'ExecStart')).toMatch(/ --http-port %i( |$)/);
  });

  it('the command lines use only flags the CLI has', async () => {
    for (const command of ['run', 'work']) {
      const help = await run(process.execPath, [join(REPO, 'bin/numbers-sync.js'), command, '--help'], { cwd: REPO });
      expect(help.code).toBe(0);
      for (const flag of setting(unit(UNITS[command as 'run' | 'work']), 'Service', 'ExecStart')!
        .match(/--[a-z-]+/g)!
        .filter((f) => f !== '--max-old-space-size')) {
        expect(help.stdout, `${command} ${flag}`).toContain(flag);
      }
    }
  });

  it('ships an example environment file of known settings only', () => {
    const lines = readFileSync(join(DIR, 'numbers-sync.env.example'), 'utf8').split('\n');
    const keys = lines.flatMap((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1] ?? []);
    const known = new Set<string>(Object.values(OPTIONS).map((o) => o.env));
    expect(keys.filter((key) => !known.has(key))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(['COUCHDB_URL', 'REDIS_URL']));
    expect(lines.join('\n')).toContain('0600');
  });

  it.skipIf(!sysusers)(`ships a valid sysusers.d entry for the unit's user${sysusers ? '' : ' (skipped: systemd-sysusers is not installed)'}`, async () => {
    const root = join(temp, 'root');
    copyFileSync(join(DIR, 'numbers-sync.sysusers.conf'), join(temp, 'numbers-sync.conf'));
    const result = await run(sysusers!, [`--root=${root}`, '--dry-run', join(temp, 'numbers-sync.conf')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr + result.stdout).toContain("Creating user 'numbers-sync'");
    expect(setting(unit(UNITS.run), 'Service', 'User')).toBe('numbers-sync');
  });
});
