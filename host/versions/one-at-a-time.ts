// Work that must not interleave (registrations, changes of the serving version, audit log appends): each
// piece starts once the one asked for before it has settled, whether it succeeded or failed.

export class OneAtATime {
  private last: Promise<unknown> = Promise.resolve();

  /** Runs `work` after everything asked for before it; its outcome is the caller's alone. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const done = this.last.then(work);
    this.last = done.catch(() => undefined);
    return done;
  }
}
