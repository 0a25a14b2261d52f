import type { Tier } from '../core/events';
import { cityOf, countyOf, townOf } from '../core/regions';
import { t } from '../i18n/index.svelte';
import { subcenterName } from './subcenters.svelte';

// Where an appeal goes, in words people use: "兰陵县调度中心", "向城镇便民服务中心",
// "兰陵县水务局". Region names come from the device's division list (code → name); when the
// device lacks one (a county server that never loaded its city), the tier label stands in.

/** Region code → name, as the device knows them; the village entry holds its short name. */
export type PlaceNames = ReadonlyMap<string, string>;

/** The region whose desk works at `tier` for an appeal of `villageCode`. */
function regionAt(tier: Tier, villageCode: string): string {
  switch (tier) {
    case 'village':
      return villageCode;
    case 'town':
      return townOf(villageCode);
    case 'county':
      return countyOf(villageCode);
    case 'city':
      return cityOf(villageCode);
  }
}

function placeName(tier: Tier, villageCode: string, names: PlaceNames): string | undefined {
  return /^\d{12}$/.test(villageCode) ? names.get(regionAt(tier, villageCode)) : undefined;
}

/**
 * The dispatch desk at `tier`: "兰陵县调度中心", else "县级调度中心". A town inside an area
 * sub-center has that sub-center as its county-tier desk: "东片区中心".
 */
export function deskName(tier: Tier, villageCode: string, names: PlaceNames): string {
  const sub = tier === 'county' && /^\d{12}$/.test(villageCode) ? subcenterName(villageCode) : undefined;
  if (sub) return t('desk.subcenter', { name: sub });
  const name = placeName(tier, villageCode, names);
  return name ? t(`desk.${tier}`, { name }) : t(`desk.${tier}.any`);
}

/** A department's label where the tier matters: the government itself is 县政府 or 市政府 (兜底). */
export function deptLabel(dept: string, tier: Tier): string {
  if (dept !== 'government') return t(`dept.${dept}`);
  return tier === 'county' || tier === 'city' ? t(`dept.government.${tier}`) : t('dept.government');
}

/** Who owns it after a dispatch: a department at a tier ("兰陵县水务局"), else that tier's desk. */
export function ownerName(tier: Tier, dept: string | null | undefined, villageCode: string, names: PlaceNames): string {
  if (!dept) return deskName(tier, villageCode, names);
  const place = placeName(tier, villageCode, names);
  if (dept === 'government' && place) return t('desk.government', { place });
  return place ? t('desk.dept', { place, dept: deptLabel(dept, tier) }) : dept === 'government' ? deptLabel(dept, tier) : t('desk.dept', { place: t(`tier.${tier}`), dept: deptLabel(dept, tier) });
}
