// Saves an API-key login under umask 000, in a process of its own: a vitest worker thread (Stryker's
// pool) may not change the umask, and a changed umask would leak into tests running beside it.
import { saveAuthDotJson } from '@codex/login';

const [codexHome] = process.argv.slice(2);
if (codexHome === undefined) {
  throw new Error('usage: save-with-umask <codexHome>');
}
process.umask(0o000);
await saveAuthDotJson(
  codexHome,
  { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-file-key-1234', tokens: null, last_refresh: null },
  'file',
);
