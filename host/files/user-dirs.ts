// The user's base directories as the XDG Base Directory spec defines them: `$XDG_CONFIG_HOME` and
// `$XDG_CACHE_HOME` when set to an absolute path (the spec says to ignore a relative one), else
// `~/.config` and `~/.cache`. wasm-risk keeps its keys in the first and its transpile cache in the second,
// unless a WASM_RISK_* variable names the file or folder.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

function xdgDirectory(variable: 'XDG_CONFIG_HOME' | 'XDG_CACHE_HOME', fallback: string): string {
  const value = process.env[variable];
  return value && isAbsolute(value) ? value : join(homedir(), fallback);
}

/** `$XDG_CONFIG_HOME/wasm-risk`, or `~/.config/wasm-risk`. */
export function configDirectory(): string {
  return join(xdgDirectory('XDG_CONFIG_HOME', '.config'), 'wasm-risk');
}

/** `$XDG_CACHE_HOME/wasm-risk`, or `~/.cache/wasm-risk`. */
export function cacheDirectory(): string {
  return join(xdgDirectory('XDG_CACHE_HOME', '.cache'), 'wasm-risk');
}

/** The path `$<variable>` names, or `fallback` when it is unset or empty: as the XDG spec has it, an empty
 *  variable is unset (`WASM_RISK_AUDIT_KEY_FILE=` named the working directory as the key). */
export function pathFromEnvironment(variable: string, fallback: () => string): string {
  return process.env[variable] || fallback();
}
