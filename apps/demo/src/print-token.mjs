#!/usr/bin/env node
// The demo's auth command, as a provider's `[model_providers.<id>.auth]` runs it: it prints one
// bearer token for the gateway on stdout and nothing else.
//
//   print-token.mjs TOKEN_URL CACHE_FILE          print a token
//   print-token.mjs TOKEN_URL CACHE_FILE --save   sign in ahead of time and keep the token in the cache
//
// Like helpers that sign in ahead of time, it hands out a cached token once; after that it signs in
// to the gateway again. Each run appends what it did to CACHE_FILE.log (never the token).
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';

const [tokenUrl, cacheFile, mode] = process.argv.slice(2);
if (tokenUrl === undefined || cacheFile === undefined) {
  process.stderr.write('usage: print-token.mjs TOKEN_URL CACHE_FILE [--save]\n');
  process.exit(2);
}

async function signIn() {
  const response = await fetch(tokenUrl, { method: 'POST' });
  if (!response.ok) throw new Error(`the gateway refused to sign in: ${response.status}`);
  const { access_token: token } = await response.json();
  return token;
}

if (mode === '--save') {
  await writeFile(cacheFile, await signIn(), { mode: 0o600 });
  await appendFile(`${cacheFile}.log`, 'saved\n');
} else {
  const cached = await readFile(cacheFile, 'utf8').catch(() => '');
  if (cached !== '') await rm(cacheFile);
  const token = cached !== '' ? cached : await signIn();
  await appendFile(`${cacheFile}.log`, cached !== '' ? 'cache\n' : 'sign-in\n');
  process.stdout.write(`${token}\n`);
}
