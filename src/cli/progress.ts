import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * Progress on stderr (stdout keeps the command's result): a bar on a terminal, otherwise a
 * plain line at every tenth of the way and at the end, which reads well in logs.
 */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} ({percentage}%) eta {eta_formatted}`, stream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) bar.start(total, done);
        else bar.setTotal(total);
        started = true;
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastStep = -1;
  return {
    update(done, total) {
      const step = total === 0 ? 10 : Math.floor((done * 10) / total);
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${label}: ${done}/${total}\n`);
    },
    stop: () => undefined,
  };
}
