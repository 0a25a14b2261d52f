import { readFileSync } from 'node:fs';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const server = `http://127.0.0.1:${process.env.PORT ?? 8080}`;
// Shown in settings; MINSHENG_BUILD tells two builds of one version apart (the update test).
const version = `${JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version}${process.env.MINSHENG_BUILD ? `+${process.env.MINSHENG_BUILD}` : ''}`;

export default defineConfig({
  define: { __APP_VERSION__: JSON.stringify(version) },
  plugins: [
    svelte(),
    VitePWA({
      // The page decides when a new version takes over (see src/ui/updates.svelte.ts).
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icon.svg', 'icon-192.png'],
      manifest: {
        name: '民声 Minsheng',
        short_name: '民声',
        description: '群众诉求离线采集与办理 · Citizens’ appeals, offline first',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#f5f6f8',
        theme_color: '#b3261e',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        // The report pages work only online (the server computes them), so phones that never
        // open them do not download them, nor the charting library, over 2G.
        // Nor does a phone download every county's outline and town points (a city has 13): the
        // device's own are cached at run time the first time it opens them (see runtimeCaching).
        globIgnores: ['**/{Chart,RankingPage,RedBlackPage,TrendsPage,HotSpotsPage,SpecialPage}-*', '**/{outline,places,counties}-[0-9]*'],
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/sync/, /^\/p(\/|$)/, /^\/open311\//],
        cleanupOutdatedCaches: true,
        // Map tiles, once a tile source is configured (MINSHENG_TILE_URL): kept for offline use,
        // bounded in count and age. The app requests them with CORS; opaque answers (status 0)
        // are never cached, since their size and success cannot be known.
        // Attachments already viewed are kept in IndexedDB by the app (src/sync/uploads.ts).
        runtimeCaching: [
          {
            // A region's map data (hashed file names, never changed in place): kept once fetched.
            urlPattern: ({ url, sameOrigin }) => sameOrigin && /^\/assets\/(outline|places|counties)-\d+-[\w-]+\.js$/.test(url.pathname),
            handler: 'CacheFirst',
            options: { cacheName: 'region-data', expiration: { maxEntries: 60 }, cacheableResponse: { statuses: [200] } },
          },
          {
            urlPattern: ({ url, request, sameOrigin }) => request.destination === 'image' && (sameOrigin ? url.pathname.startsWith('/tiles/') : request.mode === 'cors'),
            handler: 'CacheFirst',
            options: { cacheName: 'tiles', expiration: { maxEntries: 3000, maxAgeSeconds: 60 * 24 * 3600 }, cacheableResponse: { statuses: [200] } },
          },
        ],
      },
    }),
  ],
  build: { target: 'es2022', sourcemap: true },
  server: {
    proxy: {
      '/api': server,
      '/sync': { target: server, ws: true },
    },
  },
});
