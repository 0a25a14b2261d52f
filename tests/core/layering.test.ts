import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'svelte/compiler';
import { describe, expect, it } from 'vitest';

// Screens reach the device database only through the query layer and the command modules:
// the tables, documents and policy plumbing can then change without touching a screen.
// (That src/core imports no store, UI, server, Dexie or Node module is checked by purity.test.ts.)

const ROOT = path.resolve(__dirname, '../..');
const UI = path.join(ROOT, 'src/ui');
const STORE = path.join(ROOT, 'src/store');

/** The store modules a screen may import: live queries, and commands that write. */
const SCREEN_STORE_MODULES = new Set(['queries', 'appeals', 'meetings', 'patrols', 'articles', 'files', 'errors']);
const FORBIDDEN_PACKAGES = /^(dexie|y-dexie)(\/|$)/;

function svelteFiles(dir = UI): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? svelteFiles(path.join(dir, d.name)) : d.name.endsWith('.svelte') ? [path.join(dir, d.name)] : [],
  );
}

/**
 * Every module a component names: static imports and re-exports in either script, `import()`
 * in a script or in the markup, and `import('…')` types. Read from the Svelte compiler's own
 * syntax tree, so comments, strings and text never count.
 */
function importsOf(fileName: string, source: string): string[] {
  const found: string[] = [];
  const seen = new WeakSet<object>();
  const literal = (n: unknown): string | undefined => {
    const node = n as { type?: string; value?: unknown; literal?: unknown } | null;
    if (node?.type === 'Literal' && typeof node.value === 'string') return node.value;
    if (node?.type === 'TSLiteralType') return literal(node.literal);
    return undefined;
  };
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    const n = node as Record<string, unknown> & { type?: string };
    if (n.type === 'ImportDeclaration' || n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration' || n.type === 'ImportExpression') {
      if (n.source) found.push(literal(n.source) ?? '<dynamic import>');
    } else if (n.type === 'TSImportType') {
      found.push(literal(n.argument) ?? '<dynamic import>');
    }
    for (const value of Object.values(n)) visit(value);
  };
  visit(parse(source, { modern: true, filename: fileName }));
  return found;
}

/** Why `specifier`, imported by the component at `file`, breaks the screens' layering, if it does. */
function violation(file: string, specifier: string): string | null {
  if (FORBIDDEN_PACKAGES.test(specifier)) return `imports '${specifier}' (the database library)`;
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return null;
  const target = specifier.startsWith('/') ? path.join(ROOT, specifier) : path.resolve(path.dirname(file), specifier);
  const inStore = path.relative(STORE, target);
  if (inStore.startsWith('..') || path.isAbsolute(inStore)) return null;
  const module = inStore.replace(/\.(ts|js)$/, '');
  if (SCREEN_STORE_MODULES.has(module)) return null;
  return `imports '${specifier}': screens use src/store/{${[...SCREEN_STORE_MODULES].join(',')}} only`;
}

function violations(file: string, source: string): string[] {
  const rel = path.relative(ROOT, file);
  return importsOf(file, source).flatMap((m) => {
    const why = violation(file, m);
    return why ? [`${rel} ${why}`] : [];
  });
}

describe('screens reach the database only through queries and commands', () => {
  const files = svelteFiles();

  it('finds the screens, nested folders included', () => {
    const names = files.map((f) => path.relative(UI, f));
    for (const expected of ['App.svelte', 'AppealDetail.svelte', 'RecordForm.svelte', 'DeadlineBadge.svelte']) expect(names).toContain(expected);
  });

  it.each(files.map((f) => [path.relative(ROOT, f), f]))('%s imports no table, document or Dexie module', (_rel, file) => {
    expect(violations(file, readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('the checker catches every way of naming a module and ignores comments and text', () => {
    const file = path.join(UI, 'nested/Fake.svelte');
    const bad = violations(
      file,
      `<script module lang="ts">
         export { db } from '../../store/db';
       </script>
       <script lang="ts">
         import Dexie from 'dexie';
         import { DexieYProvider } from 'y-dexie/dist/y-dexie';
         import { currentPolicy } from '../../store/policy';
         import type { AppealRow } from '../../store/db.ts';
         import { getMeta } from '/src/store/meta';
         type D = import('../../store/docs').Anything;
         const later = () => import('../../store/device-session');
       </script>
       {#await import('../../store/policy-cache') then m}{m}{/await}`,
    );
    expect(bad.sort()).toEqual([
      "src/ui/nested/Fake.svelte imports '../../store/db': screens use src/store/{queries,appeals,meetings,patrols,articles,files,errors} only",
      "src/ui/nested/Fake.svelte imports 'dexie' (the database library)",
      "src/ui/nested/Fake.svelte imports 'y-dexie/dist/y-dexie' (the database library)",
      "src/ui/nested/Fake.svelte imports '../../store/policy': screens use src/store/{queries,appeals,meetings,patrols,articles,files,errors} only",
      "src/ui/nested/Fake.svelte imports '../../store/db.ts': screens use src/store/{queries,appeals,meetings,patrols,articles,files,errors} only",
      "src/ui/nested/Fake.svelte imports '/src/store/meta': screens use src/store/{queries,appeals,meetings,patrols,articles,files,errors} only",
      "src/ui/nested/Fake.svelte imports '../../store/docs': screens use src/store/{queries,appeals,meetings,patrols,articles,files,errors} only",
      "src/ui/nested/Fake.svelte imports '../../store/device-session': screens use src/store/{queries,appeals,meetings,patrols,articles,files,errors} only",
      "src/ui/nested/Fake.svelte imports '../../store/policy-cache': screens use src/store/{queries,appeals,meetings,patrols,articles,files,errors} only",
    ].sort());

    const clean = violations(
      file,
      `<script lang="ts">
         // import { db } from '../../store/db';
         /* import Dexie from 'dexie'; */
         import { queueRows, type AppealRow } from '../../store/queries';
         import { act } from '../../store/appeals.ts';
         import { db } from '../session.svelte';
         import { writable } from 'svelte/store';
         const s = "import x from '../../store/db'";
       </script>
       <p>import {'{'} db {'}'} from '../store/db' — dexie</p>`,
    );
    expect(clean).toEqual([]);
  });
});
