import {
  type AuthManager,
  type ExternalAuth,
  providerBearerRefresher,
  type UnauthorizedRecovery,
} from '@codex/login';
import { type ModelProviderInfo, Secret } from '@codex/protocol';
import { CredentialError, EnvVarError } from './errors.ts';

/** Where a provider's credentials come from (upstream-core §1.4.2). */
export type CredentialSourceKind = 'env' | 'bearer' | 'command' | 'openai' | 'none';

/** Credentials for one request attempt. The token stays a {@link Secret} until the header is built. */
export interface Credential {
  /** The bearer token; null when the request goes out without credentials (`none`). */
  readonly token: Secret | null;
  /** Headers beside the bearer (`ChatGPT-Account-ID`, `X-OpenAI-Fedramp`), lowercase names. */
  readonly headers: Readonly<Record<string, string>>;
  /** ChatGPT auth switches the default base URL to the ChatGPT backend. */
  readonly chatgpt: boolean;
  /** The ChatGPT account the token belongs to, when known. */
  readonly accountId: string | null;
}

/**
 * A provider's credentials behind two methods: `resolve()` before a request, `recover(rejected)` after a
 * 401. Each source decides its own recovery budget; the request loop asks until it gets null.
 */
export interface CredentialSource {
  readonly kind: CredentialSourceKind;
  /**
   * Credentials for the next request.
   * @throws {EnvVarError} when `env_key` is unset or blank
   * @throws {CredentialError} when a credential is blank, not a valid header value, or missing for a provider
   *   that needs one
   * @throws {AuthCommandError} when the auth command fails (never an unauthenticated fallback)
   */
  resolve(signal?: AbortSignal): Promise<Credential>;
  /**
   * Credentials to resend with after `rejected` got a 401, or null when no recovery is left.
   * @throws {AuthCommandError | RefreshTokenFailedError} when the refresh itself fails
   */
  recover(rejected: Credential, signal?: AbortSignal): Promise<Credential | null>;
}

/** Options of {@link createCredentialSource}. */
export interface CredentialSourceOptions {
  readonly providerId: string;
  readonly provider: ModelProviderInfo;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's OpenAI login; consulted only for providers with `requires_openai_auth`. */
  readonly authManager?: AuthManager | undefined;
  /** Called when the auth command has run for more than 2 s while a request waits on it. */
  readonly onSlowCommand?: ((command: string) => void) | undefined;
  /** Renew command tokens ahead of expiry in the background (long-lived processes). Default false. */
  readonly refreshAhead?: boolean | undefined;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Checks a credential can be sent: not blank, and a valid header value (Latin-1, no control characters).
 * `describe` names where it came from, never its value.
 */
function checkedSecret(token: string | Secret, describe: string): Secret {
  const secret = Secret.from(token);
  const value = secret.reveal();
  if (value.trim() === '') {
    throw new CredentialError(`${describe} is empty; no request was sent without credentials`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\u0000-\u001f\u007f]|[^\u0000-\u00ff]/.test(value)) {
    throw new CredentialError(
      `${describe} contains characters that cannot be sent in an HTTP header (control or non-Latin-1 characters)`,
    );
  }
  return secret;
}

function bearerCredential(token: Secret): Credential {
  return { token, headers: NO_HEADERS, chatgpt: false, accountId: null };
}

/** A credential that never changes: `env_key` or `experimental_bearer_token`. No recovery after a 401. */
function staticSource(kind: 'env' | 'bearer', read: () => Credential): CredentialSource {
  return {
    kind,
    resolve: async () => read(),
    recover: async () => null,
  };
}

/**
 * Any {@link ExternalAuth} (the auth command's refresher, a parent app, a caller's own): `recover` asks its
 * generation-aware `refresh` once per request, with the rejected token, and uses the token it returns.
 */
function externalSource(
  kind: 'command',
  external: ExternalAuth,
  describe: string,
  whileWaiting: <T>(work: () => Promise<T>) => Promise<T>,
): CredentialSource {
  const recovered = new WeakSet<Credential>();
  const toCredential = (token: Secret): Credential =>
    bearerCredential(checkedSecret(token, describe));
  return {
    kind,
    async resolve(signal) {
      const tokens = await whileWaiting(() => external.resolve({ signal }));
      // Stryker disable next-line StringLiteral: the auth command's refresher never resolves to null
      if (tokens === null) throw new CredentialError(`${describe} returned no token`);
      return toCredential(tokens.accessToken);
    },
    async recover(rejected, signal) {
      // one refresh and one resend per request (improvement 3)
      if (recovered.has(rejected)) return null;
      const tokens = await whileWaiting(() =>
        external.refresh({
          reason: 'unauthorized',
          previousAccountId: rejected.accountId,
          rejectedToken: rejected.token ?? undefined,
          signal,
        }),
      );
      const credential = toCredential(tokens.accessToken);
      recovered.add(credential);
      return credential;
    },
  };
}

/** The OpenAI login (auth.json, `CODEX_API_KEY`, ChatGPT, parent-app tokens) and its 401 state machine. */
function openaiSource(authManager: AuthManager, providerId: string): CredentialSource {
  // Each request's recovery state travels with the credential it produced.
  const recoveries = new WeakMap<Credential, UnauthorizedRecovery>();
  const resolve = async (): Promise<Credential> => {
    const auth = await authManager.auth();
    if (auth === null) {
      throw new CredentialError(
        `Not signed in: provider \`${providerId}\` needs an OpenAI login. Run \`codex login\`, or \`printenv OPENAI_API_KEY | codex login --with-api-key\`.`,
      );
    }
    if (auth.mode === 'apikey') {
      return bearerCredential(
        checkedSecret(auth.apiKey, 'the API key in auth.json (OPENAI_API_KEY)'),
      );
    }
    const token = checkedSecret(auth.accessToken, 'the ChatGPT access token in auth.json');
    const headers: Record<string, string> = {};
    if (auth.accountId) headers['chatgpt-account-id'] = auth.accountId;
    if (auth.isFedramp) headers['x-openai-fedramp'] = 'true';
    return { token, headers, chatgpt: true, accountId: auth.accountId };
  };
  return {
    kind: 'openai',
    resolve,
    async recover(rejected) {
      const recovery = recoveries.get(rejected) ?? authManager.unauthorizedRecovery();
      if (!recovery.hasNext()) return null;
      await recovery.next(
        rejected.token === null ? {} : { rejectedToken: rejected.token.reveal() },
      );
      const next = await resolve();
      recoveries.set(next, recovery);
      return next;
    },
  };
}

/**
 * Picks the provider's credential source, in upstream's precedence: `env_key` (hard error when missing),
 * `experimental_bearer_token`, the `auth` command (one shared refresher per provider per process), the OpenAI
 * login when `requires_openai_auth`, else no credentials at all.
 */
export function createCredentialSource(options: CredentialSourceOptions): CredentialSource {
  const { provider, providerId, env } = options;
  const where = `model_providers.${providerId}`;
  const envKey = provider.env_key ?? undefined;
  if (envKey !== undefined) {
    return staticSource('env', () => {
      const value = env[envKey]?.trim();
      if (value === undefined || value === '') {
        throw new EnvVarError(envKey, provider.env_key_instructions ?? undefined);
      }
      return bearerCredential(
        checkedSecret(value, `environment variable \`${envKey}\` (${where}.env_key)`),
      );
    });
  }
  const bearerToken = provider.experimental_bearer_token ?? undefined;
  if (bearerToken !== undefined) {
    const credential = bearerCredential(
      checkedSecret(bearerToken, `${where}.experimental_bearer_token`),
    );
    return staticSource('bearer', () => credential);
  }
  if (provider.auth != null) {
    // Stryker disable next-line ObjectLiteral: providerBearerRefresher's own default for refreshAhead is false too
    const refresher = providerBearerRefresher(providerId, provider.auth, {
      refreshAhead: options.refreshAhead ?? false,
    });
    const { onSlowCommand } = options;
    // The refresher is shared by the whole process: listen for slow runs only while this source waits on
    // one, so short-lived clients never pile listeners onto it.
    const whileWaiting = async <T>(work: () => Promise<T>): Promise<T> => {
      if (onSlowCommand === undefined) return work();
      const stopListening = refresher.addSlowCommandListener(onSlowCommand);
      try {
        return await work();
      } finally {
        stopListening();
      }
    };
    return externalSource(
      'command',
      refresher,
      // Stryker disable next-line StringLiteral: the refresher rejects an empty or unsendable token before it gets here, so this text is never shown
      `the token printed by provider auth command \`${provider.auth.command}\` (${where}.auth)`,
      whileWaiting,
    );
  }
  if (provider.requires_openai_auth && options.authManager !== undefined) {
    return openaiSource(options.authManager, providerId);
  }
  const none: Credential = { token: null, headers: NO_HEADERS, chatgpt: false, accountId: null };
  return { kind: 'none', resolve: async () => none, recover: async () => null };
}
