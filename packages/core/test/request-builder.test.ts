import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { codexVersion, imageFileToDataUrl, userMessage } from '@codex/core';
import { describe, expect, it, vi } from 'vitest';
import {
  buildResponsesBody,
  buildResponsesUrl,
  buildUserAgent,
  isValidHeader,
  setHeader,
} from '../src/request-builder.ts';
import { tempHome } from './helpers/provider-config.ts';

describe('buildResponsesUrl', () => {
  it('appends /responses after dropping trailing slashes', () => {
    expect(buildResponsesUrl('http://h/v1')).toBe('http://h/v1/responses');
    expect(buildResponsesUrl('http://h/v1///')).toBe('http://h/v1/responses');
    expect(buildResponsesUrl('http://h/v1/', null)).toBe('http://h/v1/responses');
    expect(buildResponsesUrl('http://h/a/v1/', {})).toBe('http://h/a/v1/responses');
  });

  it('keeps the base URL query, merged with query_params that win on the same name', () => {
    expect(buildResponsesUrl('http://h/openai/?api-version=1&x=y', { 'api-version': '2' })).toBe(
      'http://h/openai/responses?api-version=2&x=y',
    );
    expect(buildResponsesUrl('http://h/v1?a=1')).toBe('http://h/v1/responses?a=1');
    expect(buildResponsesUrl('http://h/v1?', { b: '2' })).toBe('http://h/v1/responses?b=2');
    expect(buildResponsesUrl('http://h/v1?')).toBe('http://h/v1/responses');
  });

  it('drops a fragment, with or without a query before it', () => {
    expect(buildResponsesUrl('http://h/v1#frag')).toBe('http://h/v1/responses');
    expect(buildResponsesUrl('http://h/v1?a=1#frag?b=2')).toBe('http://h/v1/responses?a=1');
    expect(buildResponsesUrl('http://h/v1/#x', { c: '3' })).toBe('http://h/v1/responses?c=3');
  });
});

describe('buildResponsesBody', () => {
  const input = [userMessage('hi')];
  const options = { model: 'm', store: false, promptCacheKey: 'k' };

  it('sends the fields in upstream order, without optional ones that are unset', () => {
    const body = buildResponsesBody({ input }, options);

    expect(Object.keys(body)).toEqual([
      'model',
      'input',
      'tools',
      'tool_choice',
      'parallel_tool_calls',
      'reasoning',
      'store',
      'stream',
      'include',
      'prompt_cache_key',
    ]);
    expect(body).toEqual({
      model: 'm',
      input,
      tools: [],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      reasoning: null,
      store: false,
      stream: true,
      include: [],
      prompt_cache_key: 'k',
    });
  });

  it('sends reasoning with encrypted content, the service tier and text settings', () => {
    const body = buildResponsesBody(
      {
        input,
        instructions: 'be brief',
        reasoning: { effort: 'high' },
        serviceTier: 'priority',
        verbosity: 'low',
      },
      { ...options, store: true },
    );

    expect(Object.keys(body)).toEqual([
      'model',
      'instructions',
      'input',
      'tools',
      'tool_choice',
      'parallel_tool_calls',
      'reasoning',
      'store',
      'stream',
      'include',
      'service_tier',
      'prompt_cache_key',
      'text',
    ]);
    expect(body).toMatchObject({
      instructions: 'be brief',
      reasoning: { effort: 'high' },
      store: true,
      include: ['reasoning.encrypted_content'],
      service_tier: 'priority',
      text: { verbosity: 'low' },
    });
  });

  it('puts an output schema and a verbosity side by side in text', () => {
    const schema = { type: 'object' };

    const body = buildResponsesBody({ input, verbosity: 'high', outputSchema: schema }, options);

    expect(body['text']).toEqual({
      verbosity: 'high',
      format: { type: 'json_schema', strict: true, schema, name: 'codex_output_schema' },
    });
  });
});

describe('headers', () => {
  it('accepts token characters in names and visible Latin-1 in values', () => {
    expect(isValidHeader("X-a!#$%&'*+-.^_`|~09", 'v a\tl\u00e9\u0080')).toBe(true);
    expect(isValidHeader('x', '')).toBe(true);
  });

  it.each([
    ['', 'v'],
    ['x y', 'v'],
    ['x:', 'v'],
    ['x\u00e9', 'v'],
    ['x', 'a\r\nb: c'],
    ['x', 'a\nb'],
    ['x', 'a\u0000'],
    ['x', 'a\u007f'],
    ['x', '\u0100'],
  ])('rejects %j: %j', (name, value) => {
    expect(isValidHeader(name, value)).toBe(false);
  });

  it('sets headers under a lowercase name and skips invalid ones', () => {
    const headers: Record<string, string> = { keep: 'k' };

    setHeader(headers, 'X-Mixed-Case', 'Value');
    setHeader(headers, 'x-bad', 'a\nb');
    setHeader(headers, 'bad name', 'v');

    expect(headers).toEqual({ keep: 'k', 'x-mixed-case': 'Value' });
  });
});

describe('buildUserAgent', () => {
  const platform = `(${os.type() === 'Darwin' ? 'Mac OS' : os.type() === 'Windows_NT' ? 'Windows' : os.type()} ${os.release()}; ${os.machine()})`;

  it('names the originator, version, platform and terminal program with its version', () => {
    expect(
      buildUserAgent('codex_exec', '1.2.3', {
        TERM_PROGRAM: ' iTerm.app ',
        TERM_PROGRAM_VERSION: ' 3.5 ',
        TERM: 'xterm',
      }),
    ).toBe(`codex_exec/1.2.3 ${platform} iTerm.app/3.5`);
  });

  it('names the terminal program alone when its version is unset or blank', () => {
    expect(buildUserAgent('o', '1', { TERM_PROGRAM: 'vscode' })).toBe(`o/1 ${platform} vscode`);
    expect(buildUserAgent('o', '1', { TERM_PROGRAM: 'vscode', TERM_PROGRAM_VERSION: '  ' })).toBe(
      `o/1 ${platform} vscode`,
    );
  });

  it('falls back to TERM, then to unknown', () => {
    expect(buildUserAgent('o', '1', { TERM_PROGRAM: ' ', TERM: ' screen ' })).toBe(
      `o/1 ${platform} screen`,
    );
    expect(buildUserAgent('o', '1', { TERM: '   ' })).toBe(`o/1 ${platform} unknown`);
    expect(buildUserAgent('o', '1', {})).toBe(`o/1 ${platform} unknown`);
  });

  it.each([
    ['Darwin', 'Mac OS'],
    ['Windows_NT', 'Windows'],
    ['Linux', 'Linux'],
    ['FreeBSD', 'FreeBSD'],
  ])('names the OS %s as upstream does: %s', (type, shown) => {
    vi.spyOn(os, 'type').mockReturnValue(type);

    expect(buildUserAgent('o', '1', {})).toBe(
      `o/1 (${shown} ${os.release()}; ${os.machine()}) unknown`,
    );
  });

  it('replaces characters outside printable ASCII with _', () => {
    expect(buildUserAgent('o', '1', { TERM: 'tèrm\u0007 x~' })).toBe(`o/1 ${platform} t_rm_ x~`);
  });
});

describe('codexVersion', () => {
  it("is this package's version", async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };

    expect(codexVersion()).toBe(pkg.version);
    expect(codexVersion()).toBe(pkg.version);
  });
});

describe('imageFileToDataUrl', () => {
  it.each([
    ['a.png', 'image/png'],
    ['a.PNG', 'image/png'],
    ['a.jpg', 'image/jpeg'],
    ['a.jpeg', 'image/jpeg'],
    ['a.gif', 'image/gif'],
    ['a.webp', 'image/webp'],
    ['a.bmp', 'image/bmp'],
    ['a.tiff', 'application/octet-stream'],
    ['noext', 'application/octet-stream'],
  ])('reads %s as a %s data URL', async (name, mime) => {
    const dir = await tempHome();
    const file = path.join(dir, name);
    await writeFile(file, Buffer.from([0, 1, 2, 250]));

    expect(await imageFileToDataUrl(file)).toBe(`data:${mime};base64,AAEC+g==`);
  });
});

describe('userMessage', () => {
  it('puts the images before the text', () => {
    expect(userMessage('t', ['u1', 'u2'])).toEqual({
      type: 'message',
      role: 'user',
      content: [
        { type: 'input_image', image_url: 'u1' },
        { type: 'input_image', image_url: 'u2' },
        { type: 'input_text', text: 't' },
      ],
    });
    expect(userMessage('t').content).toEqual([{ type: 'input_text', text: 't' }]);
  });
});
