import { answerWithin } from './within.ts';

/**
 * Runs `stop` once when the process is asked to end: on SIGTERM, and on SIGINT unless a
 * launcher supervises it. `npm start`'s processes share the terminal's process group, so a
 * Ctrl-C would reach them all at once; the launcher (SUPERVISOR_PID) stops them in order
 * instead, callers before callees and the database last, with SIGTERM. A supervised process
 * whose launcher is gone (killed outright) stops by itself rather than run on unowned.
 */
export function onShutdown(stop: () => Promise<void>, env: NodeJS.ProcessEnv = process.env): void {
  let stopping = false;
  const once = () => {
    if (stopping) return;
    stopping = true;
    void stop();
  };
  process.on('SIGTERM', once);
  const supervisor = Number(env.SUPERVISOR_PID);
  if (!Number.isInteger(supervisor) || supervisor <= 0) {
    process.on('SIGINT', once);
    return;
  }
  process.on('SIGINT', () => {});
  setInterval(() => {
    if (process.ppid !== supervisor) once();
  }, 1_000).unref();
}

/**
 * Waits for `step` for at most `ms`, and says whether it ended (settled either way) in time. A
 * process asked to stop must exit within its launcher's grace (5 s) even when what it waits for
 * never ends: a pass in flight on a database that hangs waits on it for good.
 */
export async function endsWithin(step: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = step.then(
    () => undefined,
    () => undefined,
  );
  return (await answerWithin(settled, ms)) !== undefined;
}
