// oidc-provider ships no types; the loopback issuer uses a small part of its API.
declare module 'oidc-provider' {
  // biome-ignore lint/style/noDefaultExport: the package exports its class as default
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    registerGrantType(
      name: string,
      handler: (context: { body: unknown; status: number }) => Promise<void>,
      params: readonly string[],
    ): void;
    on(event: string, listener: (context: never) => void): this;
    callback(): (
      request: import('node:http').IncomingMessage,
      response: import('node:http').ServerResponse,
    ) => Promise<void>;
  }
}
