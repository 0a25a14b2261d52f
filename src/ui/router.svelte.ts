// Hash routes keep every screen reachable offline from the single precached shell.
export type Route = { name: 'list' } | { name: 'new' } | { name: 'admin' } | { name: 'appeal'; id: string };

function parse(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const m = /^\/appeal\/([0-9a-f-]{36})$/.exec(path);
  if (m) return { name: 'appeal', id: m[1]! };
  if (path === '/new') return { name: 'new' };
  if (path === '/admin') return { name: 'admin' };
  return { name: 'list' };
}

export const router = $state({ route: parse(location.hash) });
window.addEventListener('hashchange', () => (router.route = parse(location.hash)));

export function go(path: string): void {
  location.hash = path;
}
