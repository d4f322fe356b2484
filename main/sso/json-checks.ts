// Strict shape checks on what main/sso reads from the portal, before any library or caller
// uses it. oauth4webapi is lenient in places (it parses `"expires_in": "3600"` as a number);
// a portal that sends a mistyped field is broken or hostile, and we stop there.
import { SsoError } from './errors';

export type JsonEndpoint =
  'discovery' | 'jwks' | 'token' | 'userinfo' | 'device-authorization' | 'open-bastion';

type JsonObject = Record<string, unknown>;

function bad(endpoint: JsonEndpoint, what: string): SsoError {
  return new SsoError('SSO_BAD_RESPONSE', `the portal's ${endpoint} answer is malformed`, {
    detail: what,
  });
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJsonObject(endpoint: JsonEndpoint, text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad(endpoint, 'not JSON');
  }
  if (!isJsonObject(value)) throw bad(endpoint, 'not a JSON object');
  return value;
}

function str(endpoint: JsonEndpoint, json: JsonObject, key: string, required: boolean): void {
  const value = json[key];
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value === '') throw bad(endpoint, `${key} is not a string`);
}

function int(
  endpoint: JsonEndpoint,
  json: JsonObject,
  key: string,
  required: boolean,
  min: number,
): void {
  const value = json[key];
  if (value === undefined && !required) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw bad(endpoint, `${key} is not an integer >= ${min}`);
  }
}

function strings(endpoint: JsonEndpoint, json: JsonObject, key: string): void {
  const value = json[key];
  if (value === undefined) return;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw bad(endpoint, `${key} is not a list of strings`);
  }
}

/** An OAuth error body (RFC 6749 5.2): `error` is a string; the description too if present. */
function oauthError(endpoint: JsonEndpoint, json: JsonObject): void {
  str(endpoint, json, 'error', true);
  if (json.error_description !== undefined && typeof json.error_description !== 'string') {
    throw bad(endpoint, 'error_description is not a string');
  }
}

/**
 * Checks a JSON answer of `endpoint` with HTTP `status`. Only answers the caller will parse
 * are checked: a non-JSON error page of a 5xx is left to the status handling.
 */
export function checkJsonAnswer(endpoint: JsonEndpoint, status: number, text: string): void {
  if (status >= 500) return;
  const json = parseJsonObject(endpoint, text);
  if (status !== 200) {
    if (endpoint === 'token' || endpoint === 'device-authorization') oauthError(endpoint, json);
    return;
  }
  switch (endpoint) {
    case 'discovery':
      str(endpoint, json, 'issuer', true);
      str(endpoint, json, 'token_endpoint', true);
      for (const key of [
        'authorization_endpoint',
        'jwks_uri',
        'userinfo_endpoint',
        'device_authorization_endpoint',
        'introspection_endpoint',
        'revocation_endpoint',
        'end_session_endpoint',
      ]) {
        str(endpoint, json, key, false);
      }
      for (const key of [
        'response_types_supported',
        'grant_types_supported',
        'id_token_signing_alg_values_supported',
        'code_challenge_methods_supported',
        'scopes_supported',
      ]) {
        strings(endpoint, json, key);
      }
      return;
    case 'jwks':
      if (!Array.isArray(json.keys) || !json.keys.every(isJsonObject)) {
        throw bad(endpoint, 'keys is not a list of objects');
      }
      return;
    case 'token':
      str(endpoint, json, 'access_token', true);
      str(endpoint, json, 'token_type', true);
      int(endpoint, json, 'expires_in', false, 0);
      str(endpoint, json, 'refresh_token', false);
      str(endpoint, json, 'id_token', false);
      if (json.scope !== undefined && typeof json.scope !== 'string') {
        throw bad(endpoint, 'scope is not a string');
      }
      return;
    case 'userinfo':
      str(endpoint, json, 'sub', true);
      return;
    case 'device-authorization':
      str(endpoint, json, 'device_code', true);
      str(endpoint, json, 'user_code', true);
      str(endpoint, json, 'verification_uri', true);
      str(endpoint, json, 'verification_uri_complete', false);
      int(endpoint, json, 'expires_in', true, 1);
      int(endpoint, json, 'interval', false, 0);
      return;
    case 'open-bastion':
      return;
  }
}
