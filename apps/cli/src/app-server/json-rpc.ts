import { CodexError } from '@codex/protocol';

/** JSON-RPC 2.0 error codes the app-server answers with. */
export const JSON_RPC_ERROR_CODES = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
} as const;

/** A request id: upstream accepts strings and 64-bit integers. */
export type RequestId = string | number;

/** The `error` member of a JSON-RPC error response. */
export interface JsonRpcErrorBody {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/**
 * A failure to report to the client as a JSON-RPC error response.
 * Handlers throw it; the connection turns it into `{"error": {...}, "id": ...}`.
 */
export class JsonRpcError extends CodexError {
  override get name(): 'JsonRpcError' {
    return 'JsonRpcError';
  }
  readonly code = 'JSON_RPC_ERROR';
  /** The numeric JSON-RPC code sent on the wire. */
  readonly rpcCode: number;
  readonly data: unknown;

  constructor(rpcCode: number, message: string, options?: { data?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.rpcCode = rpcCode;
    this.data = options?.data;
  }

  /** The wire form of this error. */
  toBody(): JsonRpcErrorBody {
    return this.data === undefined
      ? { code: this.rpcCode, message: this.message }
      : { code: this.rpcCode, message: this.message, data: this.data };
  }
}

/** `-32600` invalid request. */
export function invalidRequest(message: string): JsonRpcError {
  return new JsonRpcError(JSON_RPC_ERROR_CODES.invalidRequest, message);
}

/** `-32602` invalid params. */
export function invalidParams(message: string): JsonRpcError {
  return new JsonRpcError(JSON_RPC_ERROR_CODES.invalidParams, message);
}

/** `-32603` internal error. */
export function internalError(message: string): JsonRpcError {
  return new JsonRpcError(JSON_RPC_ERROR_CODES.internalError, message);
}

/** The client answered a server-to-client request with a JSON-RPC error. */
export class ClientErrorResponse extends CodexError {
  override get name(): 'ClientErrorResponse' {
    return 'ClientErrorResponse';
  }
  readonly code = 'CLIENT_ERROR_RESPONSE';
  readonly rpcCode: number;
  readonly data: unknown;

  constructor(body: JsonRpcErrorBody) {
    super(`code=${body.code} message=${body.message}`);
    this.rpcCode = body.code;
    this.data = body.data;
  }
}

/** A server-to-client request ended without an answer (timeout or closed connection). */
export class ServerRequestCanceledError extends CodexError {
  override get name(): 'ServerRequestCanceledError' {
    return 'ServerRequestCanceledError';
  }
  readonly code = 'SERVER_REQUEST_CANCELED';
}

/** The client did not answer a server-to-client request in time; its callback was dropped. */
export class ServerRequestTimeoutError extends CodexError {
  override get name(): 'ServerRequestTimeoutError' {
    return 'ServerRequestTimeoutError';
  }
  readonly code = 'SERVER_REQUEST_TIMEOUT';
  readonly timeoutMs: number;

  constructor(method: string, timeoutMs: number) {
    super(`${method} timed out after ${timeoutMs}ms`);
    this.timeoutMs = timeoutMs;
  }
}
