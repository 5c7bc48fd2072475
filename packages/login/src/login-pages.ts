/** HTML pages the local login server shows in the browser. */

function htmlEscape(input: string): string {
  return input
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${htmlEscape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:0 .25rem}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** Shown after the tokens were saved: the user may close the tab. */
export const SUCCESS_PAGE = page(
  'Signed in to Codex',
  '<h1>Signed in to Codex</h1>\n<p>You may now close this page and return to your terminal.</p>',
);

/** True for upstream's "no Codex entitlement" OAuth error. */
export function isMissingCodexEntitlement(code: string, description: string | null): boolean {
  return (
    code === 'access_denied' &&
    description !== null &&
    description.toLowerCase().includes('missing_codex_entitlement')
  );
}

/** Upstream's user-facing text for an `error` returned to the callback. */
export function oauthCallbackErrorMessage(code: string, description: string | null): string {
  if (isMissingCodexEntitlement(code, description)) {
    return 'Codex is not enabled for your workspace. Contact your workspace administrator to request access to Codex.';
  }
  if (description !== null && description.trim() !== '') return `Sign-in failed: ${description}`;
  return `Sign-in failed: ${code}`;
}

/** The terminal error page of a failed sign-in. */
export function loginErrorPage(
  message: string,
  code: string | null,
  description: string | null,
): string {
  const errorCode = code ?? 'unknown_error';
  const entitlement = isMissingCodexEntitlement(errorCode, description);
  const title = entitlement ? 'You do not have access to Codex' : 'Sign-in could not be completed';
  const shown = entitlement
    ? 'This account is not currently authorized to use Codex in this workspace.'
    : message;
  const detail = entitlement
    ? 'Contact your workspace administrator to request access to Codex.'
    : (description ?? message);
  const help = entitlement
    ? 'Contact your workspace administrator to get access to Codex, then return to Codex and try again.'
    : 'Return to Codex to retry, switch accounts, or contact your workspace admin if access is restricted.';
  return page(
    title,
    `<h1>${htmlEscape(title)}</h1>
<p>${htmlEscape(shown)}</p>
<p>Error code: <code>${htmlEscape(errorCode)}</code></p>
<p>${htmlEscape(detail)}</p>
<p>${htmlEscape(help)}</p>`,
  );
}
