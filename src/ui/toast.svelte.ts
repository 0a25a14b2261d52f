export const toasts = $state({ message: null as string | null });
let timer: ReturnType<typeof setTimeout> | undefined;

export function toast(message: string, ms = 4000): void {
  toasts.message = message;
  clearTimeout(timer);
  timer = setTimeout(() => (toasts.message = null), ms);
}
