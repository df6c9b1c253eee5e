import { describe, expect, it } from 'vitest';
import { renderRedisConf } from '../../../src/embedded/redis-conf.js';

describe('renderRedisConf', () => {
  it('puts the password, socket and data dir in the file, quoted', () => {
    const conf = renderRedisConf({
      port: 0,
      bind: '127.0.0.1',
      unixSocket: '/d a/redis.sock',
      password: 'p"w',
      dir: '/d a',
      appendOnly: true,
      pidFile: '/d a/redis.pid',
    });
    expect(conf.split('\n')).toEqual(
      expect.arrayContaining([
        'port "0"',
        'unixsocket "/d a/redis.sock"',
        'unixsocketperm "700"',
        'requirepass "p\\"w"',
        'dir "/d a"',
        'appendonly "yes"',
        'pidfile "/d a/redis.pid"',
        'maxmemory-policy "noeviction"',
        'save ""',
      ]),
    );
  });
});
