// The signals a long-running command (`serve`, `worker`) answers: SIGTERM, SIGINT and SIGHUP stop it, letting
// the work admitted finish; SIGUSR1 is refused.

/** SIGHUP too: its terminal or session gone, Node's default ended the process at once, its running work (and
 *  a server's last second of log lines) with it. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** The first stop signal the process receives. */
export function firstStopSignal(): Promise<(typeof STOP_SIGNALS)[number]> {
  return new Promise((resolve) => {
    for (const signal of STOP_SIGNALS) process.once(signal, () => resolve(signal));
  });
}

/** Node's default opens its inspector on SIGUSR1: 127.0.0.1:9229, without authentication, for any user of the
 *  machine to run code in the process (a server holding the admin tokens and the audit key, a worker holding
 *  the results key). A listener keeps it shut; `warn` says so where the command reports. */
export function keepInspectorShut(warn: (message: string) => void): void {
  process.on('SIGUSR1', () => warn('SIGUSR1 ignored: the inspector is not opened on a running process (start it with node --inspect to debug it)'));
}
