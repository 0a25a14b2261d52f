import type { AppealProjection } from '../../../src/core/projection';

/** Deputies' posts (src/core/deputy.ts): appeals on the `deputy` channel, read for the public pages and the report. */
export interface DeputyStore {
  /** Posts under `prefixes`, latest first, at most `limit`. */
  deputyPosts(prefixes: string[], limit: number): Promise<AppealProjection[]>;
}
