/** Where a played browser session ended. */
export interface BrowserVisit {
  readonly status: number;
  readonly url: string;
  readonly body: string;
  /** Every URL requested, in order. */
  readonly visited: readonly string[];
}

/** A real browser reaches `localhost` on IPv4 or IPv6; the login server listens on 127.0.0.1. */
function loopbackV4(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === 'localhost') parsed.hostname = '127.0.0.1';
  return parsed.href;
}

function storeCookies(jar: Map<string, string>, headers: Headers): void {
  for (const cookie of headers.getSetCookie()) {
    const [pair = '', ...attributes] = cookie.split(';');
    const separator = pair.indexOf('=');
    const name = pair.slice(0, separator).trim();
    const value = pair.slice(separator + 1).trim();
    const expired = attributes.some((attribute) => /expires=.*1970/i.test(attribute));
    if (value === '' || expired) jar.delete(name);
    else jar.set(name, value);
  }
}

/**
 * Plays a user's browser through an OAuth sign-in: follows redirects with a cookie jar, fills the
 * provider's sign-in form with `login` and confirms consent, until a page that is not a redirect or form.
 */
export async function playBrowser(
  startUrl: string,
  { login, maxSteps = 20 }: { login: string; maxSteps?: number },
): Promise<BrowserVisit> {
  const jar = new Map<string, string>();
  const visited: string[] = [];
  let url = startUrl;
  let form: string | null = null;
  for (let step = 0; step < maxSteps; step += 1) {
    visited.push(url);
    const headers: Record<string, string> = {
      cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
    };
    if (form !== null) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(loopbackV4(url), {
      method: form === null ? 'GET' : 'POST',
      redirect: 'manual',
      headers,
      ...(form === null ? {} : { body: form }),
    });
    storeCookies(jar, response.headers);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      url = new URL(location, url).href;
      form = null;
      continue;
    }
    const body = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(body)?.[1];
    const prompt = /name="prompt" value="(login|consent)"/.exec(body)?.[1];
    if (response.status === 200 && action !== undefined && prompt !== undefined) {
      url = new URL(action, url).href;
      form =
        prompt === 'login'
          ? new URLSearchParams({ prompt, login, password: 'loopback' }).toString()
          : new URLSearchParams({ prompt }).toString();
      continue;
    }
    return { status: response.status, url, body, visited };
  }
  throw new Error(`the sign-in did not finish in ${maxSteps} steps: ${visited.join(' -> ')}`);
}
