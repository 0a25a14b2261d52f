import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { ConfigError, loadConfig } from '../../server/config';
import { login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// A civic tool walks the Open311 GeoReport v2 API as the spec describes it: list services,
// file a request, read it back alone and in a filtered list.

const KEY = 'dashboard-key-0123456789abcdef';
let server: RunningServer;
let village: string;
const api = (path: string, init?: RequestInit) => fetch(`${server.url}/open311/v2/${path}`, init);

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_OPEN311_KEYS: `dashboard:${KEY}` });
  const grid = await login(server, 'grid');
  village = grid.user.scope.regions[0]!;
});
afterAll(() => server?.close());

describe('Open311 GeoReport v2', () => {
  it('lists services, takes a request, and serves it back with the fields the spec requires', async () => {
    const services = (await (await api('services.json')).json()) as Record<string, unknown>[];
    expect(services).toHaveLength(16);
    for (const s of services) for (const field of ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group']) expect(s).toHaveProperty(field);
    expect(services.find((s) => s.service_code === 'infra.roads')).toMatchObject({ service_name: '道路交通', metadata: false, type: 'realtime' });

    const posted = await api('requests.json', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ api_key: KEY, service_code: 'infra.roads', address_id: village, lat: '34.98', long: '118.06', description: '村口大桥护栏断裂，夜间很危险。', first_name: '秀英', last_name: '张', phone: '13912345678' }),
    });
    expect(posted.status).toBe(200);
    const [created] = (await posted.json()) as { service_request_id: string; service_notice: string }[];
    expect(created!.service_request_id).toMatch(/^[0-9a-f-]{36}$/);

    const [one] = (await (await api(`requests/${created!.service_request_id}.json?api_key=${KEY}`)).json()) as Record<string, unknown>[];
    for (const field of ['service_request_id', 'status', 'service_code', 'service_name', 'description', 'requested_datetime', 'updated_datetime', 'address', 'address_id', 'lat', 'long']) expect(one).toHaveProperty(field);
    expect(one).toMatchObject({ status: 'open', service_code: 'infra.roads', description: '村口大桥护栏断裂，夜间很危险。', address_id: village, lat: 34.98, long: 118.06 });
    expect(Number.isNaN(Date.parse(String(one!.requested_datetime)))).toBe(false);
    // The citizen's name and phone are kept for the officials, never served.
    expect(JSON.stringify(one)).not.toContain('13912345678');
    expect(await server.store.contact(created!.service_request_id)).toEqual({ name: '张秀英', phone: '13912345678' });

    const roads = (await (await api(`requests.json?api_key=${KEY}&service_code=infra.roads&status=open`)).json()) as { service_request_id: string }[];
    expect(roads.map((r) => r.service_request_id)).toContain(created!.service_request_id);
    expect(await (await api(`requests.json?api_key=${KEY}&service_code=infra.water`)).json()).toEqual([]);
    expect(await (await api(`requests.json?api_key=${KEY}&status=closed`)).json()).toEqual([]);
  });

  it('answers mistakes in the Open311 error format', async () => {
    const errors = async (res: Response) => ({ status: res.status, body: (await res.json()) as { code: number; description: string }[] });
    expect(await errors(await api('requests.json'))).toMatchObject({ status: 403, body: [{ code: 403 }] });
    const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ api_key: KEY, ...fields }) });
    expect((await errors(await api('requests.json', form({ address_id: village, description: '路灯坏了' })))).body[0]!.description).toMatch(/service_code/);
    expect((await errors(await api('requests.json', form({ service_code: 'infra.power', address_id: '371324999999', description: '路灯坏了' })))).status).toBe(400);
    expect((await errors(await api(`requests/0190a000-0000-7000-8000-000000000000.json?api_key=${KEY}`))).status).toBe(404);
    expect((await errors(await api('requests.json?api_key=wrong'))).status).toBe(403);
  });

  it('takes its keys from configuration, refusing short ones', () => {
    expect(loadConfig({}).open311Keys.size).toBe(0);
    expect(() => loadConfig({ MINSHENG_OPEN311_KEYS: 'dash:short' })).toThrow(ConfigError);
  });
});
