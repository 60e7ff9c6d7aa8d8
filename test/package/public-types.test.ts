/**
 * Every type a public signature refers to can be named by a caller: for each export of an entry
 * (`aurora-ts`, `aurora-ts/scheduler`, `aurora-ts/executor`), the types its parameters, results, fields, public class members
 * and base classes refer to, declared anywhere in src/, are exported too (by the same entry or, for the
 * scheduler, by the SDK entry it builds on). Read from the sources with the TypeScript compiler.
 */
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const src = join(root, 'src');
const program = ts.createProgram([join(src, 'index.ts'), join(src, 'scheduler/index.ts'), join(src, 'executor/index.ts')], {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  types: ['node'],
});
const checker = program.getTypeChecker();

function exportsOf(file: string): { names: Set<string>; declarations: Set<ts.Declaration> } {
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  const names = new Set<string>();
  const declarations = new Set<ts.Declaration>();
  for (const symbol of checker.getExportsOfModule(module)) {
    names.add(symbol.name);
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    for (const d of target.declarations ?? []) declarations.add(d);
  }
  return { names, declarations };
}

/** `name (file) <- where` for each type referenced from `start` (transitively when `deep`) that `exported` lacks. */
function unexported(start: Set<ts.Declaration>, exported: Set<string>, deep: boolean): string[] {
  const missing = new Set<string>();
  const visited = new Set<ts.Declaration>();
  const visitType = (node: ts.Node, from: string): void => {
    const target = ts.isTypeReferenceNode(node) ? node.typeName : ts.isExpressionWithTypeArguments(node) ? node.expression : undefined;
    if (target) {
      let symbol = checker.getSymbolAtLocation(target);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      for (const d of symbol?.declarations ?? []) {
        if (!d.getSourceFile().fileName.startsWith(src) || ts.isTypeParameterDeclaration(d)) continue;
        if (!exported.has(symbol!.name)) missing.add(`${symbol!.name} (${relative(root, d.getSourceFile().fileName)}) <- ${from}`);
        if (deep) visitDeclaration(d, symbol!.name);
      }
    }
    ts.forEachChild(node, (child) => visitType(child, from));
  };
  const visitSignature = (node: ts.SignatureDeclaration, from: string): void => {
    for (const p of node.parameters) if (p.type) visitType(p.type, from);
    if (node.type) visitType(node.type, from);
  };
  const visitDeclaration = (d: ts.Declaration, from: string): void => {
    if (visited.has(d)) return;
    visited.add(d);
    if (ts.isClassDeclaration(d)) {
      for (const clause of d.heritageClauses ?? []) visitType(clause, from);
      for (const member of d.members) {
        const hidden = ts.getCombinedModifierFlags(member as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected);
        if (hidden || (member.name && ts.isPrivateIdentifier(member.name))) continue;
        if (ts.isMethodDeclaration(member) || ts.isConstructorDeclaration(member) || ts.isGetAccessorDeclaration(member)) visitSignature(member, from);
        else if (ts.isPropertyDeclaration(member) && member.type) visitType(member.type, from);
      }
    } else if (ts.isFunctionDeclaration(d)) visitSignature(d, from);
    else if (ts.isVariableDeclaration(d)) {
      if (d.type) visitType(d.type, from);
    } else visitType(d, from);
  };
  for (const d of start) visitDeclaration(d, (ts.getNameOfDeclaration(d)?.getText() ?? 'export'));
  return [...missing].sort();
}

describe('public types', () => {
  it('aurora-ts exports every type its public signatures refer to', () => {
    const sdk = exportsOf(join(src, 'index.ts'));
    expect(unexported(sdk.declarations, sdk.names, true)).toEqual([]);
  });

  it('aurora-ts/scheduler exports (or aurora-ts does) every type its options and results refer to', () => {
    const sdk = exportsOf(join(src, 'index.ts'));
    const scheduler = exportsOf(join(src, 'scheduler/index.ts'));
    // The running scheduler's `core` and `leadership` are its internals, exported as opaque types.
    const opaque = new Set(['SchedulerCore', 'Leadership']);
    const start = new Set([...scheduler.declarations].filter((d) => !opaque.has(ts.getNameOfDeclaration(d)?.getText() ?? '')));
    expect(unexported(start, new Set([...scheduler.names, ...sdk.names]), false)).toEqual([]);
  });

  it('aurora-ts/executor exports every type its handler, context and options refer to (Aurora\'s structs: aurora-ts)', () => {
    const sdk = exportsOf(join(src, 'index.ts'));
    const executor = exportsOf(join(src, 'executor/index.ts'));
    expect(unexported(executor.declarations, new Set([...executor.names, ...sdk.names]), true)).toEqual([]);
  });
});
