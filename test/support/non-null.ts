import ts from 'typescript';

/** The non-null assertions (`x!`) in a TypeScript source: what a deploy script should not need. */
export function nonNullAssertions(source: string): string[] {
  const file = ts.createSourceFile('code.ts', source, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isNonNullExpression(node)) found.push(node.getText(file));
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}
