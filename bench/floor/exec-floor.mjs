// The floor for `codex exec` in `pnpm bench`: the same one-turn exchange with nothing but node:http.
// Reads $CODEX_HOME/config.toml (the active provider's base_url and experimental_bearer_token), sends
// one POST /responses with the bearer, parses the SSE stream and prints the assistant's text.
// It handles only what the bench's config and server use; it is a yardstick, not a client.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const home = process.env.CODEX_HOME ?? path.join(process.env.HOME ?? '.', '.codex');
const toml = readFileSync(path.join(home, 'config.toml'), 'utf8');
const value = (key) => {
  const match = new RegExp(`^${key}\\s*=\\s*"([^"]*)"`, 'm').exec(toml);
  if (match === null) throw new Error(`config.toml has no ${key}`);
  return match[1];
};
const url = new URL(`${value('base_url')}/responses`);
const body = JSON.stringify({
  model: value('model'),
  input: [
    {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: process.argv[2] ?? 'say ok' }],
    },
  ],
  stream: true,
});
const request = http.request(url, {
  method: 'POST',
  headers: {
    authorization: `Bearer ${value('experimental_bearer_token')}`,
    'content-type': 'application/json',
    accept: 'text/event-stream',
  },
});
request.on('response', (response) => {
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
  response.setEncoding('utf8');
  let buffered = '';
  let text = '';
  response.on('data', (chunk) => {
    buffered += chunk;
    let end = buffered.indexOf('\n\n');
    while (end !== -1) {
      for (const line of buffered.slice(0, end).split('\n')) {
        if (!line.startsWith('data:')) continue;
        const event = JSON.parse(line.slice(5));
        if (event.type === 'response.output_text.delta') text += event.delta;
        if (event.type === 'response.completed') {
          process.stdout.write(`${text}\n`);
          response.destroy();
          return;
        }
      }
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
    }
  });
});
request.end(body);
