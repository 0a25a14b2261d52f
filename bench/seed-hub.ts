// Seeding through the hub lives with the demo seed (server/services/demo), so the server and the benchmarks share one copy.
export { seedThroughHub, type HubSeedOptions, type HubSeedResult } from '../server/services/demo/hub-seed';
