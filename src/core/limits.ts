// Size limits shared by the form, the local store and the server's validation.
export const MAX_DESCRIPTION_CHARS = 20_000;
export const MAX_NAME_CHARS = 50;
export const MAX_EVENT_NOTE_CHARS = 5_000;
export const MAX_EVENTS_PER_APPEAL = 2_000;
/** One pushed Yjs update. */
export const MAX_UPDATE_BYTES = 1 << 20;
/** One WebSocket frame; a batch of updates must fit. */
export const MAX_FRAME_BYTES = 4 << 20;
export const MAX_PUSH_ITEMS = 200;
