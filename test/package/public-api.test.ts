// The package entry point (`import ... from 'wasm-risk'`, the built dist/) runs the README's example, and
// exports exactly what docs/library.md documents: an export it does not name fails here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

describe("the 'wasm-risk' package", () => {
  it('exports the engine, the registry, the audit and the typed errors', async () => {
    const api = await import('wasm-risk');
    expect(Object.keys(api)).toEqual(expect.arrayContaining(['RiskEngine', 'ComponentRegistry', 'auditComponent', 'checkCompatibility', 'InvalidInputError', 'TimeoutError', 'SwapAuditLog', 'verifySwapAuditLog', 'AuditLogTamperedError']));
    const engine = await api.RiskEngine.load();
    try {
      const portfolio = { assets: [{ id: 'X', spot: 100, drift: 0.05, vol: 0.2 }], correlation: [[1]], positions: [{ asset: 'X', type: 'spot' as const, quantity: 10 }] };
      const result = await engine.monteCarlo(portfolio, { paths: 10_000, seed: 7n, confidence: [0.99] });
      expect(result.levels[0]!.var).toBeGreaterThan(0);
      await expect(engine.parametric({ ...portfolio, assets: [] })).rejects.toBeInstanceOf(api.InvalidInputError);
    } finally {
      await engine.close();
    }
  });
});

describe('importing the package', () => {
  it('leaves the signals alone: SIGINT and SIGTERM still end a process whose own code blocks (an in-thread call)', () => {
    // proper-lockfile, imported with the swap audit log, installs signal-exit's handlers when it loads: they
    // put off Ctrl-C and SIGTERM until the event loop turns, so a 6 s in-thread call could not be interrupted.
    const listeners = execFileSync(process.execPath, ['--input-type=module', '-e', "await import('wasm-risk'); console.log(['SIGINT', 'SIGTERM', 'SIGHUP'].map((signal) => process.listenerCount(signal)).join())"], { encoding: 'utf8' });
    expect(listeners.trim()).toBe('0,0,0');
  });
});

describe('the public API is what docs/library.md documents', () => {
  /** Every name the entry exports (values and types), and every public member of the classes it exports. */
  function publicNames(): string[] {
    const program = ts.createProgram(['host/index.ts'], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true });
    const checker = program.getTypeChecker();
    const entry = checker.getSymbolAtLocation(program.getSourceFile('host/index.ts')!)!;
    const names: string[] = [];
    for (const exported of checker.getExportsOfModule(entry)) {
      names.push(exported.name);
      // `export { X }` gives an alias; `export *` the symbol itself.
      const declaration = (exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported).valueDeclaration;
      if (declaration === undefined || !ts.isClassDeclaration(declaration)) continue;
      for (const member of declaration.members) {
        const hidden = ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected);
        if (hidden || member.name === undefined || ts.isPrivateIdentifier(member.name) || ts.isConstructorDeclaration(member)) continue;
        if (ts.isIdentifier(member.name)) names.push(`${exported.name}.${member.name.text}`);
      }
    }
    return names;
  }

  it('names every export of the package, and every public method and property of its classes', () => {
    const doc = readFileSync('docs/library.md', 'utf8');
    // Inherited members of every error class (`code`, `exitCode`, ...) are documented once, on WasmRiskError.
    const documented = (name: string) => {
      const [owner, member] = name.split('.');
      const word = (text: string) => new RegExp(`\`[^\`]*\\b${text}\\b[^\`]*\``).test(doc);
      return member === undefined ? word(owner!) : word(`${owner}[.#]${member}`) || (owner!.endsWith('Error') && word(`WasmRiskError[.#]${member}`));
    };
    expect(publicNames().filter((name) => !documented(name))).toEqual([]);
  });
});
