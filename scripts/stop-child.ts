import type { ChildProcess } from 'node:child_process';

/**
 * Asks a child process to stop with `signal`, and kills it (SIGKILL) if it has not exited after
 * `graceMs`: a process that hangs, or was paused (SIGSTOP), never holds up whoever stops it.
 */
export function stopChild(child: ChildProcess, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
    // A paused process (SIGSTOP) takes its signal only once it runs again.
    child.kill('SIGCONT');
  });
}
