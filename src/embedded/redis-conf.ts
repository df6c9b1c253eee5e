/** What a private redis-server is told, through its config file (never its command line). */
export interface RedisConfSettings {
  /** 0: no TCP listener. */
  port: number;
  bind: string;
  unixSocket?: string;
  password?: string;
  dir?: string;
  appendOnly: boolean;
  pidFile?: string;
}

/** redis.conf text. Values are quoted, so paths may hold spaces. */
export function renderRedisConf(s: RedisConfSettings): string {
  const lines: Array<[string, string]> = [
    ['port', String(s.port)],
    ['bind', s.bind],
    ['daemonize', 'no'],
    // Without an explicit empty save, redis-server would write dump.rdb into its directory.
    ['save', ''],
    ['appendonly', s.appendOnly ? 'yes' : 'no'],
    // Our queue must never lose keys to eviction.
    ['maxmemory-policy', 'noeviction'],
    // Shown by ps instead of the arguments: names the config file, which tells our servers apart.
    ['proc-title-template', '{title} {config-file}'],
  ];
  if (s.dir) lines.push(['dir', s.dir]);
  if (s.pidFile) lines.push(['pidfile', s.pidFile]);
  if (s.unixSocket) lines.push(['unixsocket', s.unixSocket], ['unixsocketperm', '700']);
  if (s.password) lines.push(['requirepass', s.password]);
  return `${lines.map(([key, value]) => `${key} ${quote(value)}`).join('\n')}\n`;
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
