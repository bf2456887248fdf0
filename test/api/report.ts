/**
 * The API report: what `matrix-bridgekit` and `matrix-bridgekit/testing` export (runtime
 * values, and type names read from the built declarations with the TypeScript compiler),
 * and which types the exported declarations mention without exporting them.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The package's entry points, as `exports` in package.json names them. */
export const ENTRY_POINTS = {
  '.': 'dist/src/index',
  './testing': 'dist/src/testing/index',
} as const;

export type EntryPoint = keyof typeof ENTRY_POINTS;

export interface EntryReport {
  /** Names a program gets at runtime (`import { x }` of a value). */
  readonly values: string[];
  /** Names that exist only as types. */
  readonly types: string[];
}

export type ApiReport = Record<EntryPoint, EntryReport>;

/** The repository root (this file runs from dist/test/api/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The exported names of each entry point, values from the module itself, types from its .d.ts. */
export async function apiReport(): Promise<ApiReport> {
  const { checker, modules } = compile();
  const report = {} as Record<EntryPoint, EntryReport>;
  for (const [entry, file] of Object.entries(ENTRY_POINTS) as Array<[EntryPoint, string]>) {
    const runtime = Object.keys((await import(pathToFileURL(`${ROOT}${file}.js`).href)) as object);
    const declared = checker.getExportsOfModule(modules.get(entry)!).map((s) => s.name);
    report[entry] = {
      values: [...runtime].sort(byName),
      types: declared.filter((n) => !runtime.includes(n)).sort(byName),
    };
  }
  return report;
}

function compile(): { checker: ts.TypeChecker; modules: Map<EntryPoint, ts.Symbol> } {
  const files = Object.values(ENTRY_POINTS).map((f) => `${ROOT}${f}.d.ts`);
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true, types: ['node'],
  });
  const checker = program.getTypeChecker();
  const modules = new Map<EntryPoint, ts.Symbol>();
  for (const [entry, file] of Object.entries(ENTRY_POINTS) as Array<[EntryPoint, string]>) {
    const source = program.getSourceFile(`${ROOT}${file}.d.ts`);
    const symbol = source && checker.getSymbolAtLocation(source);
    if (!symbol) throw new Error(`${file}.d.ts is missing: build first (npx tsc -p tsconfig.json)`);
    modules.set(entry, symbol);
  }
  return { checker, modules };
}

/**
 * Named types declared in the package that an exported declaration mentions (a property,
 * a parameter, a return type, recursively) but no entry point exports: a bridge author
 * meets them and cannot name them. Each with the export that leads to it.
 */
export function unexportedTypes(): Map<string, string> {
  const { checker, modules } = compile();
  const exported = new Set<ts.Symbol>();
  /** Classes exported as types only: a bridge never constructs them, so their constructors are not API. */
  const handles = new Set<ts.Symbol>();
  const roots: Array<[string, ts.Symbol]> = [];
  for (const module of modules.values()) {
    for (const symbol of checker.getExportsOfModule(module)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      exported.add(target);
      if (symbol.declarations?.some(isTypeOnlyExport)) handles.add(target);
      roots.push([symbol.name, target]);
    }
  }
  const missing = new Map<string, string>();
  const seen = new Set<ts.Type>();
  const ours = (symbol: ts.Symbol): boolean =>
    (symbol.declarations ?? []).some((d) => d.getSourceFile().fileName.startsWith(`${ROOT}dist/`));

  const visitSymbolType = (symbol: ts.Symbol, from: string, location: ts.Node): void => {
    const decl = symbol.declarations?.[0];
    if (decl && ts.getCombinedModifierFlags(decl) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return;
    if (symbol.name.startsWith('#') || symbol.name.startsWith('__#')) return;
    visit(checker.getTypeOfSymbolAtLocation(symbol, decl ?? location), from, location);
  };
  const visitSignature = (signature: ts.Signature, from: string, location: ts.Node): void => {
    for (const parameter of signature.getParameters()) visitSymbolType(parameter, from, location);
    visit(signature.getReturnType(), from, location);
  };
  const named = (symbol: ts.Symbol | undefined, from: string): void => {
    if (!symbol || !ours(symbol) || exported.has(symbol)) return;
    if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Enum)) {
      if (!missing.has(symbol.name)) missing.set(symbol.name, from);
    }
  };
  function visit(type: ts.Type, from: string, location: ts.Node): void {
    if (seen.has(type)) return;
    seen.add(type);
    named(type.aliasSymbol, from);
    for (const argument of type.aliasTypeArguments ?? []) visit(argument, from, location);
    if (type.isUnionOrIntersection()) for (const member of type.types) visit(member, from, location);
    if (!(type.flags & ts.TypeFlags.Object)) return;
    const object = type as ts.ObjectType;
    if (object.objectFlags & ts.ObjectFlags.Reference) {
      for (const argument of checker.getTypeArguments(type as ts.TypeReference)) visit(argument, from, location);
    }
    const symbol = type.getSymbol();
    named(symbol, from);
    // Types from elsewhere (Promise, Map, a dependency's) are not walked into.
    if (symbol && !ours(symbol) && !(symbol.flags & ts.SymbolFlags.TypeLiteral) && !(symbol.flags & ts.SymbolFlags.ObjectLiteral)) return;
    for (const property of type.getProperties()) visitSymbolType(property, from, location);
    for (const signature of type.getCallSignatures()) visitSignature(signature, from, location);
    if (symbol && handles.has(symbol)) return;
    for (const signature of type.getConstructSignatures()) visitSignature(signature, from, location);
  }

  for (const [name, symbol] of roots) {
    const decl = symbol.declarations?.[0];
    if (!decl) continue;
    if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class | ts.SymbolFlags.TypeAlias)) {
      visit(checker.getDeclaredTypeOfSymbol(symbol), name, decl);
    }
    if (symbol.flags & ts.SymbolFlags.Value && !handles.has(symbol)) visit(checker.getTypeOfSymbolAtLocation(symbol, decl), name, decl);
  }
  return missing;
}

function isTypeOnlyExport(declaration: ts.Declaration): boolean {
  return ts.isExportSpecifier(declaration) && (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly);
}
