import type { Region } from '../../../src/core/regions';

/** The administrative divisions the deployment serves (county, towns, villages), seeded once. */
export interface RegionStore {
  regionCount(): Promise<number>;
  insertRegions(regions: Region[]): Promise<void>;
  /** Every region whose code starts with one of `prefixes`, ordered by code, each once. */
  regionsUnder(prefixes: string[]): Promise<Region[]>;
  isVillage(code: string): Promise<boolean>;
}
