export { fakeJwt } from './fake-jwt.ts';
export {
  KEYRING_PROGRAMS,
  type KeyringDaemon,
  keyringDaemonUnavailableReason,
  startKeyringDaemon,
} from './keyring-daemon.ts';
export {
  type IssuerAccount,
  LOGIN_CLIENT_ID,
  type LoginIssuer,
  type LoginIssuerOptions,
  startLoginIssuer,
} from './login-issuer.ts';
export { type BrowserVisit, playBrowser } from './play-browser.ts';
export { type RawHttpServer, startRawHttpServer } from './raw-http-server.ts';
export {
  completedEvents,
  completedReply,
  defaultUsage,
  responseEvents,
  type UsageFixture,
} from './response-events.ts';
export {
  type RecordedRequest,
  type Reply,
  type Responder,
  type ResponsesServer,
  startResponsesServer,
  toSseFrame,
} from './responses-server.ts';
export { threadPoolFileRequests } from './thread-pool-requests.ts';
export {
  type GatewayEvent,
  startTokenGateway,
  type TokenGateway,
  type TokenGatewayOptions,
} from './token-gateway.ts';
export {
  makeTempDir,
  type TokenQueueScript,
  writeScript,
  writeTokenQueueScript,
} from './token-script.ts';
