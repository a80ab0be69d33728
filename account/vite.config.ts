/**
 * The account page's build: a static bundle under /account/ with content-hashed file names, so
 * the server can give every asset a year-long cache and index.html none (as the console's).
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/account/',
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
