/**
 * The console's build: a static bundle under /admin/ with content-hashed file names, so the
 * server can give every asset a year-long cache and index.html none.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/admin/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The CSP allows scripts from the origin only: no inline polyfill in index.html.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
