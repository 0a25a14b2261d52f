// Fast entry: the last channel, town and village a user chose on this device come back in
// the record form (and the village in the meeting form). Kept in localStorage, per user.

export interface LastChoices {
  channel?: string;
  town?: string;
  village?: string;
}

const key = (userId: string) => `minsheng.last.${userId}`;

export function lastChoices(userId: string): LastChoices {
  return JSON.parse(localStorage.getItem(key(userId)) ?? '{}') as LastChoices;
}

export function rememberChoices(userId: string, choices: LastChoices): void {
  localStorage.setItem(key(userId), JSON.stringify(choices));
}
