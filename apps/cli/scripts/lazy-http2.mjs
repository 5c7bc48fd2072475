// An esbuild plugin for the CLI bundle: undici's client.js requires its HTTP/2 connector at load, and
// that module requires node:http2 (with tls and crypto) at once, ~8 ms of every `codex exec` start. The
// CLI never enables `allowH2`, so the connector runs only if a caller's dispatcher negotiates h2. The
// plugin hands client.js a stand-in that loads the real connector (bundled unchanged) on its first call.
import path from 'node:path';

const namespace = 'codex-lazy-undici-h2';

/** @returns {import('esbuild').Plugin} */
export function lazyUndiciHttp2() {
  return {
    name: 'lazy-undici-http2',
    setup(build) {
      build.onResolve({ filter: /^\.\/client-h2\.js$/ }, (args) => {
        if (args.namespace !== 'file') return undefined;
        if (
          !args.importer.endsWith(
            `${path.sep}undici${path.sep}lib${path.sep}dispatcher${path.sep}client.js`,
          )
        )
          return undefined;
        // a path without the checkout's location, which esbuild writes into the bundle's comments
        const file = path.join(path.dirname(args.importer), 'client-h2.js');
        return { path: 'undici/lib/dispatcher/client-h2.js', namespace, pluginData: { file } };
      });
      build.onLoad({ filter: /.*/, namespace }, (args) => ({
        contents: [
          'let connectH2;',
          'module.exports = function lazyConnectH2(...args) {',
          "  connectH2 ??= require('./client-h2.js');",
          '  return connectH2(...args);',
          '};',
        ].join('\n'),
        resolveDir: path.dirname(args.pluginData.file),
        loader: 'js',
      }));
    },
  };
}
