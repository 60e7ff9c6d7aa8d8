import { build } from 'rolldown';
const [input, out, minify, stubLong] = process.argv.slice(2);
await build({
  input,
  platform: 'node',
  logLevel: 'warn',
  external: (id) => id.startsWith('node:'),
  plugins: stubLong === '1' ? [{ name: 'no-long', resolveId: (id) => (id === 'long' ? '\0no-long' : null), load: (id) => (id === '\0no-long' ? 'module.exports = null;' : null) }] : [],
  output: { file: out, format: 'esm', minify: minify === '1' },
});
