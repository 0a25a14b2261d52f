// The PouchDB peer ships without types; the bench uses a small part of it.
declare module 'pouchdb' {
  interface Doc {
    _id: string;
    _rev?: string;
    [k: string]: unknown;
  }
  interface Replication extends Promise<{ docs_written: number }> {
    cancel(): void;
    on(event: 'change' | 'paused' | 'error' | 'complete', fn: (info: unknown) => void): Replication;
  }
  interface Database {
    bulkDocs(docs: Doc[]): Promise<unknown[]>;
    get(id: string): Promise<Doc>;
    put(doc: Doc): Promise<{ rev: string }>;
    info(): Promise<{ doc_count: number }>;
    destroy(): Promise<void>;
    close(): Promise<void>;
    replicate: {
      to(target: string | Database, opts?: Record<string, unknown>): Replication;
      from(source: string | Database, opts?: Record<string, unknown>): Replication;
    };
  }
  interface PouchStatic {
    new (name: string, opts?: Record<string, unknown>): Database;
    plugin(p: unknown): PouchStatic;
    defaults(opts: Record<string, unknown>): PouchStatic;
  }
  const PouchDB: PouchStatic;
  export default PouchDB;
}
declare module 'pouchdb-adapter-memory' {
  const plugin: unknown;
  export default plugin;
}
declare module 'express-pouchdb' {
  import type { RequestListener } from 'node:http';
  export default function expressPouchDB(pouch: unknown, opts?: Record<string, unknown>): RequestListener;
}
