import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import {
  isMissingCodexEntitlement,
  loginErrorPage,
  oauthCallbackErrorMessage,
  SUCCESS_PAGE,
} from '../src/login-pages.ts';
import {
  DEFAULT_ISSUER,
  forcedWorkspaceList,
  jwtAuthClaims,
  loginClientId,
  loginIssuer,
  tokenEndpointErrorMessage,
  workspaceRestrictionError,
} from '../src/oauth-login.ts';
import { CLIENT_ID } from '../src/token-authority.ts';

describe('login pages', () => {
  it('recognises the missing entitlement only for access_denied, in any case', () => {
    expect(isMissingCodexEntitlement('access_denied', 'x MISSING_CODEX_ENTITLEMENT y')).toBe(true);
    expect(isMissingCodexEntitlement('access_denied', 'missing_codex_entitlement')).toBe(true);
    expect(isMissingCodexEntitlement('server_error', 'missing_codex_entitlement')).toBe(false);
    expect(isMissingCodexEntitlement('access_denied', null)).toBe(false);
    expect(isMissingCodexEntitlement('access_denied', 'no entitlement')).toBe(false);
  });

  it('words a callback error from its description, else its code', () => {
    expect(oauthCallbackErrorMessage('access_denied', 'missing_codex_entitlement')).toBe(
      'Codex is not enabled for your workspace. Contact your workspace administrator to request access to Codex.',
    );
    expect(oauthCallbackErrorMessage('access_denied', 'User said no')).toBe(
      'Sign-in failed: User said no',
    );
    expect(oauthCallbackErrorMessage('access_denied', '   ')).toBe('Sign-in failed: access_denied');
    expect(oauthCallbackErrorMessage('server_error', null)).toBe('Sign-in failed: server_error');
  });

  it('escapes every HTML special character in an error page', () => {
    const html = loginErrorPage(`<b>"a" & 'b'</b>`, 'c<d', null);
    expect(html).toContain('<p>&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;</p>');
    expect(html).toContain('<p>Error code: <code>c&lt;d</code></p>');
    expect(html).not.toContain('<b>');
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<title>Sign-in could not be completed</title>');
  });

  it('shows the message, its description, the code and the retry help of a failed sign-in', () => {
    const html = loginErrorPage('Token exchange failed: boom', 'token_exchange_failed', 'detail');
    expect(html).toContain(
      [
        '<h1>Sign-in could not be completed</h1>',
        '<p>Token exchange failed: boom</p>',
        '<p>Error code: <code>token_exchange_failed</code></p>',
        '<p>detail</p>',
        '<p>Return to Codex to retry, switch accounts, or contact your workspace admin if access is restricted.</p>',
      ].join('\n'),
    );
    const noDetail = loginErrorPage('Missing code', null, null);
    expect(noDetail).toContain(
      '<p>Missing code</p>\n<p>Error code: <code>unknown_error</code></p>\n<p>Missing code</p>',
    );
  });

  it('tells a user without the entitlement to ask an administrator', () => {
    const html = loginErrorPage('ignored', 'access_denied', 'missing_codex_entitlement');
    expect(html).toContain(
      [
        '<h1>You do not have access to Codex</h1>',
        '<p>This account is not currently authorized to use Codex in this workspace.</p>',
        '<p>Error code: <code>access_denied</code></p>',
        '<p>Contact your workspace administrator to request access to Codex.</p>',
        '<p>Contact your workspace administrator to get access to Codex, then return to Codex and try again.</p>',
      ].join('\n'),
    );
    expect(html).toContain('<title>You do not have access to Codex</title>');
    expect(html).not.toContain('ignored');
  });

  it('has a success page the user may close', () => {
    expect(SUCCESS_PAGE).toContain('<title>Signed in to Codex</title>');
    expect(SUCCESS_PAGE).toContain(
      '<h1>Signed in to Codex</h1>\n<p>You may now close this page and return to your terminal.</p>',
    );
  });
});

describe('tokenEndpointErrorMessage', () => {
  it('prefers the description, then error.message, then the code, else the raw text', () => {
    expect(tokenEndpointErrorMessage('')).toBe('unknown error');
    expect(tokenEndpointErrorMessage('  \n')).toBe('unknown error');
    expect(
      tokenEndpointErrorMessage(
        '{"error":"invalid_grant","error_description":"code expired","message":"x"}',
      ),
    ).toBe('code expired');
    expect(tokenEndpointErrorMessage('{"error":{"code":"bad","message":"nested text"}}')).toBe(
      'nested text',
    );
    expect(tokenEndpointErrorMessage('{"error":{"code":"bad","message":" "}}')).toBe('bad');
    expect(tokenEndpointErrorMessage('{"error":"invalid_grant","error_description":"  "}')).toBe(
      'invalid_grant',
    );
    expect(tokenEndpointErrorMessage('{"error":"  ","other":1}')).toBe('{"error":"  ","other":1}');
    expect(tokenEndpointErrorMessage('{"error":{"code":"  "}}')).toBe('{"error":{"code":"  "}}');
    expect(tokenEndpointErrorMessage('{"error":{"code":7}}')).toBe('{"error":{"code":7}}');
    expect(tokenEndpointErrorMessage('{"error":null}')).toBe('{"error":null}');
    expect(tokenEndpointErrorMessage('  gateway down \n')).toBe('gateway down');
    expect(tokenEndpointErrorMessage('null')).toBe('null');
  });
});

describe('login options', () => {
  it('takes the issuer from options, else CODEX_LOGIN_ISSUER, else the default, without trailing slashes', () => {
    expect(loginIssuer({ issuer: 'https://a.example//', env: {} })).toBe('https://a.example');
    expect(loginIssuer({ env: { CODEX_LOGIN_ISSUER: ' https://b.example/ ' } })).toBe(
      'https://b.example',
    );
    expect(loginIssuer({ env: { CODEX_LOGIN_ISSUER: '   ' } })).toBe(DEFAULT_ISSUER);
    expect(loginIssuer({ env: {} })).toBe('https://auth.openai.com');
    expect(loginIssuer({ issuer: 'https://c.example/a/b' })).toBe('https://c.example/a/b');
  });

  it('lists forced workspaces and defaults the client id', () => {
    expect(forcedWorkspaceList(null)).toEqual([]);
    expect(forcedWorkspaceList(undefined)).toEqual([]);
    expect(forcedWorkspaceList('ws-1')).toEqual(['ws-1']);
    expect(forcedWorkspaceList(['ws-1', 'ws-2'])).toEqual(['ws-1', 'ws-2']);
    expect(loginClientId({ codexHome: '/h', storeMode: 'file' })).toBe(CLIENT_ID);
    expect(loginClientId({ codexHome: '/h', storeMode: 'file', clientId: 'mine' })).toBe('mine');
  });

  it('reads the auth claims of a JWT, empty when it has none or is no JWT', () => {
    const auth = { chatgpt_account_id: 'ws-1' };
    expect(jwtAuthClaims(fakeJwt({ 'https://api.openai.com/auth': auth }))).toEqual(auth);
    expect(jwtAuthClaims(fakeJwt({ 'https://api.openai.com/auth': 'text' }))).toEqual({});
    expect(jwtAuthClaims(fakeJwt({ 'https://api.openai.com/auth': null }))).toEqual({});
    expect(jwtAuthClaims(fakeJwt({}))).toEqual({});
    expect(jwtAuthClaims('not-a-jwt')).toEqual({});
  });

  it('checks the workspace claim against the forced workspaces', () => {
    const inWorkspace = (id: unknown) =>
      fakeJwt({ 'https://api.openai.com/auth': { chatgpt_account_id: id } });
    expect(workspaceRestrictionError(null, 'not-a-jwt')).toBeNull();
    expect(workspaceRestrictionError([], inWorkspace('ws-9'))).toBeNull();
    expect(workspaceRestrictionError(['ws-1', 'ws-2'], inWorkspace('ws-2'))).toBeNull();
    expect(workspaceRestrictionError(['ws-1', 'ws-2'], inWorkspace('ws-3'))).toBe(
      'Login is restricted to workspace id(s) ws-1, ws-2.',
    );
    expect(workspaceRestrictionError('ws-1', inWorkspace(42))).toBe(
      'Login is restricted to a specific workspace, but the token did not include an chatgpt_account_id claim.',
    );
  });
});
