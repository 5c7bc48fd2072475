import {
  ACCOUNT_METHODS,
  AccountUpdatedNotificationSchema,
  ChatgptAuthTokensRefreshParamsSchema,
  ChatgptAuthTokensRefreshResponseSchema,
  GetAccountResponseSchema,
  LoginAccountParamsSchema,
  LoginAccountResponseSchema,
} from '@codex/protocol';
import { describe, expect, it } from 'vitest';

describe('LoginAccountParamsSchema', () => {
  it('parses chatgptAuthTokens params with camelCase keys', () => {
    const params = LoginAccountParamsSchema.parse(
      JSON.parse(
        '{"type":"chatgptAuthTokens","accessToken":"a.b.c","chatgptAccountId":"ws-1","chatgptPlanType":null}',
      ),
    );

    expect(params).toEqual({
      type: 'chatgptAuthTokens',
      accessToken: 'a.b.c',
      chatgptAccountId: 'ws-1',
      chatgptPlanType: null,
    });
  });

  it('parses apiKey and chatgpt params and rejects unknown types', () => {
    expect(LoginAccountParamsSchema.parse({ type: 'apiKey', apiKey: 'sk' })).toEqual({
      type: 'apiKey',
      apiKey: 'sk',
    });
    expect(LoginAccountParamsSchema.parse({ type: 'chatgpt' })).toEqual({ type: 'chatgpt' });
    expect(
      LoginAccountParamsSchema.safeParse({ type: 'chatgptAuthTokens', accessToken: 'a' }).success,
    ).toBe(false);
    expect(LoginAccountParamsSchema.safeParse({ type: 'password' }).success).toBe(false);
  });

  it('describes the chatgptAuthTokens response', () => {
    expect(LoginAccountResponseSchema.parse({ type: 'chatgptAuthTokens' })).toEqual({
      type: 'chatgptAuthTokens',
    });
  });
});

describe('account/chatgptAuthTokens/refresh', () => {
  it('parses params with a null previous account id', () => {
    expect(ACCOUNT_METHODS.chatgptAuthTokensRefresh).toBe('account/chatgptAuthTokens/refresh');
    expect(
      ChatgptAuthTokensRefreshParamsSchema.parse({
        reason: 'unauthorized',
        previousAccountId: null,
      }),
    ).toEqual({
      reason: 'unauthorized',
      previousAccountId: null,
    });
    expect(
      ChatgptAuthTokensRefreshParamsSchema.safeParse({ reason: 'expired', previousAccountId: null })
        .success,
    ).toBe(false);
  });

  it('parses the response without a plan type', () => {
    expect(
      ChatgptAuthTokensRefreshResponseSchema.parse({ accessToken: 't', chatgptAccountId: 'ws' }),
    ).toEqual({
      accessToken: 't',
      chatgptAccountId: 'ws',
    });
    expect(ChatgptAuthTokensRefreshResponseSchema.safeParse({ accessToken: 't' }).success).toBe(
      false,
    );
  });

  it('parses the response with a plan type, or a null one, and keeps it as sent', () => {
    expect(
      ChatgptAuthTokensRefreshResponseSchema.parse({
        accessToken: 't',
        chatgptAccountId: 'ws',
        chatgptPlanType: 'business',
      }),
    ).toEqual({ accessToken: 't', chatgptAccountId: 'ws', chatgptPlanType: 'business' });
    expect(
      ChatgptAuthTokensRefreshResponseSchema.parse({
        accessToken: 't',
        chatgptAccountId: 'ws',
        chatgptPlanType: null,
      }),
    ).toEqual({ accessToken: 't', chatgptAccountId: 'ws', chatgptPlanType: null });
    expect(
      ChatgptAuthTokensRefreshResponseSchema.safeParse({
        accessToken: 't',
        chatgptAccountId: 'ws',
        chatgptPlanType: 3,
      }).success,
    ).toBe(false);
  });
});

describe('account/read and account/updated', () => {
  it('parses the shapes the app-server sends', () => {
    expect(
      GetAccountResponseSchema.parse({
        account: { type: 'chatgpt', email: 'a@b.c', planType: 'pro' },
        requiresOpenaiAuth: true,
      }),
    ).toMatchObject({ account: { type: 'chatgpt' } });
    expect(AccountUpdatedNotificationSchema.parse({ authMode: null, planType: null })).toEqual({
      authMode: null,
      planType: null,
    });
    expect(
      AccountUpdatedNotificationSchema.safeParse({ authMode: 'apiKey', planType: null }).success,
    ).toBe(false);
  });
});
