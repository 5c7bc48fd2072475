import * as z from 'zod/mini';
import { AuthModeSchema } from './auth-dot-json.ts';

/** JSON-RPC method names of the app-server v2 account API. */
export const ACCOUNT_METHODS = {
  loginStart: 'account/login/start',
  loginCancel: 'account/login/cancel',
  loginCompleted: 'account/login/completed',
  logout: 'account/logout',
  read: 'account/read',
  updated: 'account/updated',
  chatgptAuthTokensRefresh: 'account/chatgptAuthTokens/refresh',
} as const;

/** `account/login/start` params, tagged by `type`. */
export const LoginAccountParamsSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('apiKey'), apiKey: z.string() }),
  z.object({
    type: z.literal('chatgpt'),
    codexStreamlinedLogin: z.optional(z.boolean()),
    useHostedLoginSuccessPage: z.optional(z.boolean()),
    appBrand: z.optional(z.nullable(z.enum(['codex', 'chatgpt']))),
  }),
  z.object({ type: z.literal('chatgptDeviceCode') }),
  z
    .object({
      type: z.literal('chatgptAuthTokens'),
      accessToken: z.string().register(z.globalRegistry, {
        description: 'Access token (JWT) used for backend requests.',
      }),
      chatgptAccountId: z
        .string()
        .register(z.globalRegistry, { description: 'ChatGPT workspace/account id.' }),
      chatgptPlanType: z.optional(z.nullable(z.string())).register(z.globalRegistry, {
        description: 'Raw plan; when null it is read from the access token claims.',
      }),
    })
    .register(z.globalRegistry, {
      description:
        '[UNSTABLE] Host-supplied ChatGPT tokens, kept in memory; the host refreshes them.',
    }),
]);

/** Params of `account/login/start`. */
export type LoginAccountParams = z.output<typeof LoginAccountParamsSchema>;

/** `account/login/start` result, tagged by `type`. */
export const LoginAccountResponseSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('apiKey') }),
  z.object({ type: z.literal('chatgpt'), loginId: z.string(), authUrl: z.string() }),
  z.object({
    type: z.literal('chatgptDeviceCode'),
    loginId: z.string(),
    verificationUrl: z.string(),
    userCode: z.string(),
  }),
  z.object({ type: z.literal('chatgptAuthTokens') }),
]);

/** Result of `account/login/start`. */
export type LoginAccountResponse = z.output<typeof LoginAccountResponseSchema>;

/** Why the server asks the host for new ChatGPT tokens. */
export const ChatgptAuthTokensRefreshReasonSchema = z.enum(['unauthorized']);

/** Params of the server→client request `account/chatgptAuthTokens/refresh`. */
export const ChatgptAuthTokensRefreshParamsSchema = z.object({
  reason: ChatgptAuthTokensRefreshReasonSchema,
  previousAccountId: z.nullable(z.string()).register(z.globalRegistry, {
    description: 'Workspace id Codex was using; a hint for hosts with several workspaces.',
  }),
});

/** Params of `account/chatgptAuthTokens/refresh`. */
export type ChatgptAuthTokensRefreshParams = z.output<typeof ChatgptAuthTokensRefreshParamsSchema>;

/** The host's answer to `account/chatgptAuthTokens/refresh`. */
export const ChatgptAuthTokensRefreshResponseSchema = z.object({
  accessToken: z.string(),
  chatgptAccountId: z.string(),
  chatgptPlanType: z.optional(z.nullable(z.string())),
});

/** Result of `account/chatgptAuthTokens/refresh`. */
export type ChatgptAuthTokensRefreshResponse = z.output<
  typeof ChatgptAuthTokensRefreshResponseSchema
>;

/** The account shown by `account/read`. */
export const AccountSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('apiKey') }),
  z.object({ type: z.literal('chatgpt'), email: z.nullable(z.string()), planType: z.string() }),
]);

/** An account as reported to app-server clients. */
export type Account = z.output<typeof AccountSchema>;

/** `account/read` params. */
export const GetAccountParamsSchema = z.object({ refreshToken: z.optional(z.boolean()) });

/** `account/read` result. */
export const GetAccountResponseSchema = z.object({
  account: z.nullable(AccountSchema),
  requiresOpenaiAuth: z.boolean(),
});

/** Result of `account/read`. */
export type GetAccountResponse = z.output<typeof GetAccountResponseSchema>;

/** `account/updated` notification: the active auth mode and plan (both null after logout). */
export const AccountUpdatedNotificationSchema = z.object({
  authMode: z.nullable(AuthModeSchema),
  planType: z.nullable(z.string()),
});

/** Payload of `account/updated`. */
export type AccountUpdatedNotification = z.output<typeof AccountUpdatedNotificationSchema>;

/** `account/login/completed` notification. */
export const AccountLoginCompletedNotificationSchema = z.object({
  loginId: z.nullable(z.string()),
  success: z.boolean(),
  error: z.nullable(z.string()),
});

/** Payload of `account/login/completed`. */
export type AccountLoginCompletedNotification = z.output<
  typeof AccountLoginCompletedNotificationSchema
>;
