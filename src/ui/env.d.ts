/// <reference types="svelte" />
/// <reference types="vite/client" />
/// <reference types="vite-plugin-pwa/client" />

/** package.json's version, plus MINSHENG_BUILD when set at build time. */
declare const __APP_VERSION__: string;
