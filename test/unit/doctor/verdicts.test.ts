import { describe, expect, it } from 'vitest';
import {
  exitCodeOf,
  judgeAdminRights,
  judgeClock,
  judgeCouchUp,
  judgeCouchVersion,
  judgeGlobalChanges,
  judgeMaxWriteDelay,
  judgePersistence,
  judgeRedisVersion,
  parseInfo,
} from '../../../src/doctor/verdicts.js';

describe('doctor verdicts (pure)', () => {
  it('exit code: 0 all ok or skipped, 1 with a warning, 2 with a failure', () => {
    const r = (status: 'ok' | 'warn' | 'fail' | 'skip') => ({ check: 'x', status, message: '' });
    expect(exitCodeOf([r('ok'), r('skip')])).toBe(0);
    expect(exitCodeOf([r('ok'), r('warn')])).toBe(1);
    expect(exitCodeOf([r('warn'), r('fail')])).toBe(2);
  });

  it('CouchDB reachability, version and admin rights', () => {
    expect(judgeCouchUp({ error: 'ECONNREFUSED' }).status).toBe('fail');
    expect(judgeCouchUp({ status: 404, body: { status: 'maintenance_mode' } }).status).toBe('warn');
    expect(judgeCouchVersion({ status: 200, body: { couchdb: 'Welcome', version: '3.3.3' } })).toMatchObject({ status: 'ok', message: 'CouchDB 3.3.3' });
    expect(judgeCouchVersion({ status: 200, body: { couchdb: 'Welcome', version: '2.3.1' } }).status).toBe('warn');
    expect(judgeCouchVersion({ status: 200, body: { hello: 1 } }).status).toBe('fail');
    expect(judgeAdminRights({ status: 200 }, { status: 403 })).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^not a server admin \(_db_updates 403\)/),
    });
    expect(judgeAdminRights({ status: 200 }, { status: 404 })).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('NUMBERS_SYNC_POLL_INTERVAL_MS'),
    });
    expect(judgeAdminRights({ status: 200 }, { status: 200 }).status).toBe('ok');
  });

  it('_global_changes and max_write_delay: what the delay adds to lag; unreadable is skipped', () => {
    expect(judgeGlobalChanges({ status: 404 }, false)).toMatchObject({ status: 'warn', message: expect.stringContaining('PUT /_global_changes') });
    expect(judgeGlobalChanges({ status: 404 }, true).status).toBe('ok');
    expect(judgeGlobalChanges({ status: 200 }, true).status).toBe('ok');
    expect(judgeMaxWriteDelay({ status: 200, body: '500' })).toMatchObject({ status: 'ok', message: expect.stringContaining('adds up to 500 ms to the lag') });
    expect(judgeMaxWriteDelay({ status: 200, body: '10000' }).status).toBe('warn');
    expect(judgeMaxWriteDelay({ status: 200, body: 'soon' }).status).toBe('warn');
    expect(judgeMaxWriteDelay({ status: 404 }).status).toBe('skip');
    expect(judgeMaxWriteDelay({ status: 403 }).status).toBe('skip');
  });

  it('Redis version: below 5.0 fails (BullMQ), below 6.2 warns', () => {
    expect(judgeRedisVersion('4.0.14').status).toBe('fail');
    expect(judgeRedisVersion('6.0.16').status).toBe('warn');
    expect(judgeRedisVersion('6.2.0').status).toBe('ok');
    expect(judgeRedisVersion('7.0.15').status).toBe('ok');
    expect(judgeRedisVersion(undefined).status).toBe('warn');
  });

  it('persistence: AOF or RDB save points are ok; none, unknown or failing warn with the replay cost', () => {
    const info = (text: string) => parseInfo(`# Persistence\r\n${text}`);
    expect(judgePersistence({ info: info('aof_enabled:1'), savePoints: '' }).status).toBe('ok');
    expect(judgePersistence({ info: info('aof_enabled:0'), savePoints: '3600 1 300 100' })).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('RDB'),
    });
    expect(judgePersistence({ info: info('aof_enabled:0\r\nrdb_saves:3') }).status).toBe('ok');
    expect(judgePersistence({ info: info('aof_enabled:0\r\nrdb_saves:0') })).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('CONFIG GET save is refused'),
    });
    expect(judgePersistence({ info: info('aof_enabled:0'), savePoints: '' })).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('replays every numbers database'),
    });
    expect(judgePersistence({ info: info('aof_enabled:1\r\naof_last_write_status:err'), savePoints: '' }).status).toBe('warn');
  });

  it('clock: a skew beyond 5 s (past the reading resolution) warns; unread clocks skip', () => {
    expect(
      judgeClock([
        { source: 'couchdb', offsetMs: 5800, resolutionMs: 1000 },
        { source: 'redis', offsetMs: 10, resolutionMs: 0 },
      ]).status,
    ).toBe('ok');
    expect(judgeClock([{ source: 'couchdb', offsetMs: 7000, resolutionMs: 1000 }])).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('couchdb +7.0 s'),
    });
    expect(judgeClock([{ source: 'redis', offsetMs: -6000, resolutionMs: 0 }]).status).toBe('warn');
    expect(judgeClock([{ source: 'redis', resolutionMs: 0, error: 'down' }]).status).toBe('skip');
  });
});
