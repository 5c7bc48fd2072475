// One process of the parallel refresh test: load the stale auth, report ready, wait for "go", refresh.
import { createInterface } from 'node:readline';
import { AuthManager } from '@codex/login';

const [codexHome, authorityUrl] = process.argv.slice(2);
if (codexHome === undefined || authorityUrl === undefined) {
  throw new Error('usage: refresh-child <codexHome> <authorityUrl>');
}
const manager = AuthManager.create({
  codexHome,
  enableCodexApiKeyEnv: false,
  env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authorityUrl },
});
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line === 'go') {
    break;
  }
}
lines.close();
await manager.refreshToken();
const auth = manager.authCached();
process.stdout.write(`done ${auth !== null && auth.mode !== 'apikey' ? auth.accountId : 'none'}\n`);
