// `wasm-risk new <dir> --lang rust|python|js [--name N]`: writes a risk-plugin project from the template
// the package ships (templates/<lang>/) with the installed version's WIT (wit/*.wit), so the project
// builds against the contract of the host that will load it. It writes only into a new or empty folder,
// and never replaces a file.
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { isErrno } from '../files/input-files.js';
import { PACKAGE_VERSION, PROJECT_ROOT } from '../files/package-paths.js';
import { echoed } from '../report/echoed-input.js';
import { terminalText } from '../report/terminal-text.js';

export const PLUGIN_LANGUAGES = ['rust', 'python', 'js'] as const;
export type PluginLanguage = (typeof PLUGIN_LANGUAGES)[number];

export interface NewCommandOptions {
  lang: PluginLanguage;
  name?: string;
}

/** A name every toolchain accepts as a package name (npm, Cargo, PyPI) and the engine reports in `info()`. */
const PLUGIN_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const MAX_PLUGIN_NAME_LENGTH = 64;

/** The placeholders the templates carry, and what replaces them. */
function substitutions(name: string): [string, string][] {
  return [
    ['__PLUGIN_NAME__', name],
    ['__WASM_RISK_VERSION__', PACKAGE_VERSION],
    ['__WASM_RISK_DEPENDENCY__', wasmRiskDependency()],
  ];
}

/** How the project's package.json asks for wasm-risk (its `make test` runs it): the registry version when
 *  this is an installed package, the checkout itself (`file:`) when it runs from one, whose version the
 *  registry may not have. */
function wasmRiskDependency(): string {
  return PROJECT_ROOT.split(sep).includes('node_modules') ? `^${PACKAGE_VERSION}` : `file:${PROJECT_ROOT}`;
}

export async function newCommand(dir: string, options: NewCommandOptions): Promise<void> {
  const name = pluginName(dir, options.name);
  const target = resolve(dir);
  await assertEmptyOrAbsent(dir, target);
  const written = await writeProject(target, options.lang, name);
  // The folder is the caller's text (`--name` lets it be any): its controls are shown, not acted on.
  const shown = terminalText(dir);
  process.stdout.write(
    `created ${options.lang} plugin '${name}' in ${shown} (${written} files, contract of wasm-risk ${PACKAGE_VERSION})\n` +
      `next: cd ${shown} && make build && make test\n`,
  );
}

function pluginName(dir: string, explicit: string | undefined): string {
  const name = explicit ?? basename(resolve(dir));
  const field = explicit === undefined ? '<dir>' : '--name';
  const problem = `${echoed(name)} is not a valid plugin name: lower-case letters, digits and single hyphens, starting with a letter, at most ${MAX_PLUGIN_NAME_LENGTH} characters`;
  if (name.length > MAX_PLUGIN_NAME_LENGTH || !PLUGIN_NAME.test(name)) {
    throw new InvalidInputError(field, explicit === undefined ? `${problem} (or pass --name)` : problem);
  }
  return name;
}

async function assertEmptyOrAbsent(dir: string, target: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new InvalidInputError('<dir>', `${dir}: ${(error as Error).message}`);
  }
  if (!stats.isDirectory()) throw new InvalidInputError('<dir>', `${dir} exists and is not a directory`);
  if ((await readdir(target)).length > 0) throw new InvalidInputError('<dir>', `${dir} is not empty; wasm-risk new writes only into a new or empty directory`);
}

/** Every file of the template, placeholders replaced, then the package's WIT under wit/. */
async function writeProject(target: string, lang: PluginLanguage, name: string): Promise<number> {
  const template = join(PROJECT_ROOT, 'templates', lang);
  const files: [string, Buffer][] = [];
  for (const path of await filesUnder(template)) files.push([relative(template, path), await readFile(path)]);
  for (const entry of await readdir(join(PROJECT_ROOT, 'wit'))) {
    if (entry.endsWith('.wit')) files.push([join('wit', entry), await readFile(join(PROJECT_ROOT, 'wit', entry))]);
  }
  const replacements = substitutions(name);
  for (const [path, content] of files) {
    const text = replacements.reduce((acc, [placeholder, value]) => acc.replaceAll(placeholder, value), content.toString('utf8'));
    try {
      await mkdir(join(target, path, '..'), { recursive: true });
      // 'wx': a file that appeared since the check is not replaced.
      await writeFile(join(target, path), text, { flag: 'wx' });
    } catch (error) {
      if (!isErrno(error)) throw error;
      throw new InvalidInputError('<dir>', `cannot write ${join(target, path)}: ${error.message}`);
    }
  }
  return files.length;
}

async function filesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files.sort();
}
