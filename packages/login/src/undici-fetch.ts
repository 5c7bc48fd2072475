// Imported lazily by the OAuth calls: undici's index (fetch, web streams, zlib) is not needed by a model
// turn. A module of ours in between keeps the named binding intact in the CLI bundle, where a dynamic
// import of undici's CommonJS index yields only a default export.
import { fetch as undiciFetch } from 'undici';

/** undici's `fetch`. */
export const fetch: typeof undiciFetch = undiciFetch;
