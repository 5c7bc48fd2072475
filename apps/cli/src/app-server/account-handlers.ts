import {
  type CodexAuth,
  ExternalAuthTokens,
  type IdTokenInfo,
  parseIdToken,
  loginWithApiKey as storeApiKey,
} from '@codex/login';
import {
  ACCOUNT_METHODS,
  type AuthMode,
  GetAccountParamsSchema,
  LoginAccountParamsSchema,
  planTypeFromRaw,
} from '@codex/protocol';
import { afterResponse, errorMessage, isObject, zodIssues } from './handler-utils.ts';
import { internalError, invalidParams, invalidRequest } from './json-rpc.ts';
import type { MessageProcessorOptions } from './message-processor.ts';

/** Plan values upstream's `PlanType` wire enum accepts (0.169.0 schema). */
const WIRE_PLAN_TYPES: ReadonlySet<string> = new Set([
  'free',
  'go',
  'plus',
  'pro',
  'prolite',
  'promax',
  'team',
  'self_serve_business_prolite',
  'self_serve_business_usage_based',
  'business',
  'ent26',
  'enterprise_cbp_automation',
  'enterprise_cbp_usage_based',
  'enterprise',
  'edu',
  'edu_plus',
  'edu_pro',
  'sci',
  'sci_plus',
]);

/** Maps a raw plan string to upstream's account-facing plan value (`unknown` when not one of them). */
export function wirePlanType(raw: string | null | undefined): string {
  if (raw == null) return 'unknown';
  const plan = planTypeFromRaw(raw);
  if (plan.kind === 'known') return plan.plan;
  const lower = raw.toLowerCase();
  return WIRE_PLAN_TYPES.has(lower) ? lower : 'unknown';
}

/** The account methods of the app-server: login start and cancel, account read, logout. */
export function createAccountHandlers(
  options: MessageProcessorOptions,
  isExperimentalApi: () => boolean,
): Record<string, (params: unknown) => unknown> {
  const { notify, authManager, bridge, log } = options;
  // the plan a parent app named for its tokens (the stored record keeps only the JWT's claim)
  const externalPlans = new Map<string, string>();

  const idTokenInfo = (auth: CodexAuth): IdTokenInfo | null => {
    if (auth.mode === 'apikey') return null;
    const raw = auth.authDotJson.tokens?.id_token;
    if (!raw) return null;
    try {
      return parseIdToken(raw);
    } catch {
      return null;
    }
  };

  const planOf = (auth: CodexAuth | null): string | null => {
    if (auth === null || auth.mode === 'apikey') return null;
    if (auth.mode === 'chatgptAuthTokens') {
      const refreshed = bridge.lastTokens;
      const named =
        externalPlans.get(auth.accessToken.reveal()) ??
        (refreshed?.accessToken.equals(auth.accessToken)
          ? refreshed.chatgptMetadata?.planType
          : null);
      if (named) return wirePlanType(named);
    }
    const info = idTokenInfo(auth);
    const plan = info?.chatgptPlanType ?? null;
    if (plan === null) return 'unknown';
    return wirePlanType(plan.kind === 'known' ? plan.plan : plan.raw);
  };

  const accountUpdated = (): void => {
    const auth = authManager.authCached();
    const authMode: AuthMode | null = auth?.mode ?? null;
    notify(ACCOUNT_METHODS.updated, { authMode, planType: planOf(auth) });
  };

  const loginCompleted = (): void => {
    notify(ACCOUNT_METHODS.loginCompleted, { loginId: null, success: true, error: null });
  };

  const loginStart = async (params: unknown): Promise<unknown> => {
    const parsed = LoginAccountParamsSchema.safeParse(params);
    if (!parsed.success) throw invalidParams(`Invalid params: ${zodIssues(parsed.error)}`);
    const login = parsed.data;
    switch (login.type) {
      case 'apiKey': {
        if (options.forcedLoginMethod === 'chatgpt') {
          throw invalidRequest('API key login is disabled. Use ChatGPT login instead.');
        }
        try {
          await storeApiKey(options.codexHome, login.apiKey, options.storeMode);
        } catch (error) {
          throw internalError(`failed to save api key: ${errorMessage(error)}`);
        }
        bridge.reset();
        await authManager.reload();
        afterResponse(() => {
          loginCompleted();
          accountUpdated();
        });
        return { type: 'apiKey' };
      }
      case 'chatgptAuthTokens': {
        if (!isExperimentalApi()) {
          throw invalidRequest(
            'account/login/start.chatgptAuthTokens requires experimentalApi capability',
          );
        }
        if (options.forcedLoginMethod === 'api') {
          throw invalidRequest('External ChatGPT auth is disabled. Use API key login instead.');
        }
        const forced = options.forcedWorkspaceIds;
        if (forced.length > 0 && !forced.includes(login.chatgptAccountId)) {
          const expected =
            forced.length === 1
              ? `workspace ${forced[0]}`
              : `one of workspace(s) [${forced.map((id) => JSON.stringify(id)).join(', ')}]`;
          throw invalidRequest(
            `External auth must use ${expected}, but received ${JSON.stringify(login.chatgptAccountId)}.`,
          );
        }
        options.chatgptLogins.cancelActive();
        const tokens = ExternalAuthTokens.chatgpt(
          login.accessToken,
          login.chatgptAccountId,
          login.chatgptPlanType ?? null,
        );
        try {
          await authManager.loginWithChatgptAuthTokens(tokens);
        } catch (error) {
          throw internalError(`failed to set external auth: ${errorMessage(error)}`);
        }
        bridge.reset();
        externalPlans.clear();
        if (login.chatgptPlanType != null) {
          externalPlans.set(login.accessToken, login.chatgptPlanType);
        }
        afterResponse(() => {
          loginCompleted();
          accountUpdated();
        });
        return { type: 'chatgptAuthTokens' };
      }
      case 'chatgpt':
      case 'chatgptDeviceCode': {
        if (options.forcedLoginMethod === 'api') {
          throw invalidRequest('ChatGPT login is disabled. Use API key login instead.');
        }
        const onOutcome = async (loginId: string, error: string | null) => {
          if (error !== null) {
            notify(ACCOUNT_METHODS.loginCompleted, { loginId, success: false, error });
            return;
          }
          bridge.reset();
          externalPlans.clear();
          await authManager.reload();
          notify(ACCOUNT_METHODS.loginCompleted, { loginId, success: true, error: null });
          accountUpdated();
        };
        if (login.type === 'chatgpt') {
          const started = await options.chatgptLogins.startBrowser(onOutcome).catch((error) => {
            throw internalError(`failed to start login server: ${errorMessage(error)}`);
          });
          return { type: 'chatgpt', ...started };
        }
        const started = await options.chatgptLogins.startDeviceCode(onOutcome).catch((error) => {
          throw internalError(`failed to start device code login: ${errorMessage(error)}`);
        });
        return { type: 'chatgptDeviceCode', ...started };
      }
    }
  };

  const accountRead = async (params: unknown): Promise<unknown> => {
    const parsed = GetAccountParamsSchema.safeParse(params ?? {});
    if (!parsed.success) throw invalidParams(`Invalid params: ${zodIssues(parsed.error)}`);
    if (parsed.data.refreshToken === true && authManager.authCached()?.mode === 'chatgpt') {
      // managed ChatGPT auth only: external tokens are refreshed by the parent app
      const refresh =
        options.signal === undefined
          ? authManager.refreshToken()
          : authManager.refreshToken({ signal: options.signal });
      await refresh.catch((error: unknown) => {
        log(`Failed to refresh token: ${errorMessage(error)}`);
      });
    }
    if (!options.requiresOpenaiAuth) {
      return { account: null, requiresOpenaiAuth: false };
    }
    let auth: CodexAuth | null;
    try {
      auth = await authManager.auth();
    } catch {
      auth = authManager.authCached();
    }
    if (auth === null) return { account: null, userId: null, requiresOpenaiAuth: true };
    if (auth.mode === 'apikey') {
      return { account: { type: 'apiKey' }, userId: null, requiresOpenaiAuth: true };
    }
    const info = idTokenInfo(auth);
    const email = info?.email ?? null;
    if (email === null) {
      throw invalidRequest('email and plan type are required for chatgpt authentication');
    }
    return {
      account: { type: 'chatgpt', email, planType: planOf(auth) ?? 'unknown' },
      userId: info?.chatgptUserId ?? null,
      requiresOpenaiAuth: true,
    };
  };

  const logout = async (): Promise<unknown> => {
    options.chatgptLogins.cancelActive();
    bridge.reset();
    externalPlans.clear();
    try {
      await authManager.logout();
    } catch (error) {
      throw internalError(`logout failed: ${errorMessage(error)}`);
    }
    afterResponse(() => notify(ACCOUNT_METHODS.updated, { authMode: null, planType: null }));
    return {};
  };

  return {
    [ACCOUNT_METHODS.loginStart]: loginStart,
    [ACCOUNT_METHODS.loginCancel]: (params: unknown) => {
      const loginId = isObject(params) ? params['loginId'] : undefined;
      if (typeof loginId !== 'string')
        throw invalidParams('Invalid params: missing field `loginId`');
      return { status: options.chatgptLogins.cancel(loginId) };
    },
    [ACCOUNT_METHODS.read]: accountRead,
    [ACCOUNT_METHODS.logout]: logout,
  };
}
