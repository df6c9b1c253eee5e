import { readFile } from 'node:fs/promises';

/** Resident set size of a process in bytes (Linux /proc), or undefined when unavailable. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; keeps the peak and every sample. */
export class RssSampler {
  readonly samples: Array<{ t: number; bytes: number }> = [];
  peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(pid: number, intervalMs = 250) {
    const started = performance.now();
    this.timer = setInterval(() => {
      void rssBytes(pid).then((bytes) => {
        if (bytes === undefined) return;
        this.samples.push({ t: Math.round(performance.now() - started), bytes });
        this.peak = Math.max(this.peak, bytes);
      });
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc). */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** CPU seconds used by each named process between construction and `stop()`. */
export class CpuMeter {
  private readonly start = new Map<string, number>();
  private readonly startedAt = performance.now();

  private constructor(private readonly pids: Record<string, number | undefined>) {}

  static async start(pids: Record<string, number | undefined>): Promise<CpuMeter> {
    const meter = new CpuMeter(pids);
    for (const [name, pid] of Object.entries(pids)) {
      const cpu = pid === undefined ? undefined : await cpuSeconds(pid);
      if (cpu !== undefined) meter.start.set(name, cpu);
    }
    return meter;
  }

  /** Per process: share of one core used over the interval (1 = one core busy). */
  async stop(): Promise<Record<string, number>> {
    const wall = (performance.now() - this.startedAt) / 1000;
    const out: Record<string, number> = {};
    for (const [name, before] of this.start) {
      const after = await cpuSeconds(this.pids[name]!);
      if (after !== undefined) out[name] = Math.round(((after - before) / wall) * 100) / 100;
    }
    return out;
  }
}
