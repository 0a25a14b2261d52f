import { toastQueue } from './toast-queue';

export const toasts = $state({ message: null as string | null });

export const toast = toastQueue((message) => (toasts.message = message));
