import { defineConfig } from 'vite';

// Preact through esbuild's automatic JSX runtime: no Babel plugin needed.
export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2020', reportCompressedSize: false },
  server: {
    proxy: {
      '/ws': { target: 'ws://127.0.0.1:8750', ws: true },
      '/api': 'http://127.0.0.1:8750',
    },
  },
  test: { include: ['tests/*.test.ts'], environment: 'node' },
});
