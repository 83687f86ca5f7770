import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The console's build: hashed files under assets/ (the server keeps them for ever), index.html that names
 * them, no inline script or style (the server's Content-Security-Policy allows neither). `npm run
 * console:dev` proxies the API to a server on :3000.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:3000' },
  },
});
