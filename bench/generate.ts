// The generator lives with the demo seed (server/services/demo), so the server and the benchmarks share one copy.
export * from '../server/services/demo/generate';
