import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// src/core is shared by the browser and the server: no I/O, no DOM, no Node, no app layers.
// Parsed with the TypeScript compiler so comments and strings never cause false alarms.

const CORE = path.resolve(__dirname, '../../src/core');

const FORBIDDEN_MODULES: RegExp[] = [
  /^node:/,
  /^(fs|path|os|crypto|child_process|http|https|net|url|util|stream|events|buffer|worker_threads)(\/|$)/,
  /^(dexie|y-dexie|svelte|better-sqlite3|ws)(\/|$)/,
  /^\.\.\/(store|ui|sync)(\/|$)/,
  /(^|\/)server(\/|$)/,
];
const FORBIDDEN_GLOBALS = new Set(['window', 'document', 'localStorage', 'sessionStorage', 'indexedDB', 'navigator', 'process', 'require', 'Buffer', '__dirname']);

function coreFiles(dir = CORE): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? coreFiles(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : [],
  );
}

/** Every module specifier and every forbidden global used as a value in `source`. */
function scan(fileName: string, source: string): { imports: string[]; globals: string[] } {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports: string[] = [];
  const globals: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      imports.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      imports.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      imports.push(arg && ts.isStringLiteralLike(arg) ? arg.text : '<dynamic import>');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      imports.push(node.argument.literal.text);
    }
    if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text) && isValueReference(node)) globals.push(node.text);
    // globalThis.window / globalThis['document'] reach the same objects.
    if (ts.isPropertyAccessExpression(node) && isGlobalThis(node.expression) && FORBIDDEN_GLOBALS.has(node.name.text)) globals.push(`globalThis.${node.name.text}`);
    if (ts.isElementAccessExpression(node) && isGlobalThis(node.expression) && ts.isStringLiteralLike(node.argumentExpression) && FORBIDDEN_GLOBALS.has(node.argumentExpression.text)) {
      globals.push(`globalThis.${node.argumentExpression.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { imports, globals };
}

function isGlobalThis(e: ts.Expression): boolean {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return ts.isIdentifier(e) && (e.text === 'globalThis' || e.text === 'self');
}

/** An identifier standing for a variable, not a property name, key or declaration of its own. */
function isValueReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p) || ts.isMethodSignature(p)) && p.name === id) return false;
  if (ts.isQualifiedName(p) && p.right === id) return false;
  if ((ts.isParameter(p) || ts.isVariableDeclaration(p) || ts.isBindingElement(p)) && p.name === id) return false;
  return true;
}

describe('src/core purity', () => {
  const files = coreFiles();

  it('finds the core sources', () => {
    const names = files.map((f) => path.basename(f));
    for (const expected of ['fold.ts', 'protocol.ts', 'accept.ts', 'id.ts', 'index.ts']) expect(names).toContain(expected);
  });

  it.each(files.map((f) => [path.relative(CORE, f), f]))('%s imports nothing platform- or layer-specific', (_rel, file) => {
    const { imports } = scan(file, readFileSync(file, 'utf8'));
    const bad = imports.filter((m) => FORBIDDEN_MODULES.some((re) => re.test(m)));
    expect(bad).toEqual([]);
    // Relative imports stay inside src/core.
    for (const m of imports.filter((i) => i.startsWith('.'))) {
      expect(path.resolve(path.dirname(file), m).startsWith(CORE), m).toBe(true);
    }
  });

  it.each(files.map((f) => [path.relative(CORE, f), f]))('%s touches no browser or Node globals', (_rel, file) => {
    expect(scan(file, readFileSync(file, 'utf8')).globals).toEqual([]);
  });

  it('the core tsconfig compiles without DOM or Node type libraries', () => {
    const { config } = ts.readConfigFile(path.join(CORE, 'tsconfig.json'), ts.sys.readFile);
    expect(config.compilerOptions.lib).toEqual(['ES2023']);
    expect(config.compilerOptions.types).toEqual([]);
  });

  it('the scanner itself catches what it should and ignores comments, strings and property names', () => {
    const bad = scan(
      'x.ts',
      `import fs from 'node:fs';
       import { db } from '../store/db';
       export * from 'dexie';
       const p = await import('path');
       type S = import('svelte').Component;
       window.alert(1);
       const t = process.env.X;
       localStorage.clear();
       (globalThis as any).indexedDB.open('x');
       globalThis['document'];`,
    );
    expect(bad.imports).toEqual(['node:fs', '../store/db', 'dexie', 'path', 'svelte']);
    expect(bad.globals.sort()).toEqual(['globalThis.document', 'globalThis.indexedDB', 'localStorage', 'process', 'window'].sort());

    const clean = scan(
      'y.ts',
      `// window, document and process.env are fine in a comment
       /* import fs from 'fs' */
       const s = 'window document localStorage indexedDB process.exit';
       const o = { document: 1, window: 2 };
       o.document;
       function f(process: number) {}
       interface I { indexedDB: string }`,
    );
    expect(clean.imports).toEqual([]);
    expect(clean.globals).toEqual([]);
  });
});
