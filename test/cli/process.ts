// A `hip-engine` process for the CLI tests: its output so far, its exit code, and `waitFor`, which
// resolves on the first stdout match (no fixed sleeps) and fails early when the process exits.
import { spawn } from 'node:child_process';

export type Proc = {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exit: Promise<number | null>;
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  kill(signal: NodeJS.Signals): void;
};

export function spawnCli(main: string, args: readonly string[], killAfterMs: number, waitMs: number): Proc {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of [...waiters]) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const exit = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      for (const w of [...waiters]) w();
      resolve(code);
    });
  });
  return {
    kill: (signal) => child.kill(signal),
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor(re, ms = waitMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${String(re)} in output:\n${out}\n${err}`)), ms);
        const check = (): void => {
          const m = re.exec(out);
          if (m) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(check), 1);
            resolve(m);
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(check), 1);
            reject(new Error(`exited (${child.exitCode}) without ${String(re)}:\n${out}\n${err}`));
          }
        };
        waiters.push(check);
        check();
      });
    },
  };
}

/** The lines of `text` that match `re`. */
export const lines = (text: string, re: RegExp): string[] => text.split('\n').filter((l) => re.test(l));
