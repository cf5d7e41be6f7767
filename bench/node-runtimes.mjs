// The Node.js binaries the bench compares: this process's own Node, and the npm registry's `node`
// package for the other LTS lines (fetched once by npx into its cache, then run directly). A line that
// cannot be had (no network, no npx) is reported as missing, never silently replaced by another.
import { spawnSync } from 'node:child_process';

/** The LTS lines measured beside this process's Node (issue #14: the versions people run). */
export const NODE_LINES = [20, 22, 24];

/** The major version of a `vX.Y.Z` string. */
export const majorOf = (version) => Number(/^v(\d+)\./.exec(version)?.[1]);

/**
 * line -> { path, version } for every line that could be had, or { missing: reason }. This process's own
 * Node stands for its line; the others come from `npx -y -p node@LINE` (the first call downloads).
 */
export function nodeRuntimes(lines = NODE_LINES) {
  const runtimes = {};
  for (const line of lines) {
    if (majorOf(process.version) === line) {
      runtimes[line] = { path: process.execPath, version: process.version };
      continue;
    }
    const found = spawnSync('npx', ['-y', '-p', `node@${line}`, 'node', '-p', 'process.execPath + " " + process.version'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    const [path, version] = (found.stdout ?? '').trim().split(' ');
    runtimes[line] =
      found.status === 0 && path && majorOf(version) === line
        ? { path, version }
        : { missing: `npx -p node@${line} failed: ${(found.stderr || String(found.error ?? '')).trim().split('\n').pop()}` };
  }
  return runtimes;
}
