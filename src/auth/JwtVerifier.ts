// Access tokens (JWT) from the identity provider, checked with jose: signature against its JWKS, issuer, audience,
// expiry. What is wrong with a refused token is said in words a client may see (no token, no key material).
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/**
 * Asymmetric algorithms only: a token "signed" with HMAC using the provider's public key as the secret (the classic
 * key confusion), or one with `alg: none`, is refused before any key is looked at.
 */
export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** How far paybus's clock and the provider's may disagree on exp, nbf and iat. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** The token does not hold; `reason` is safe to send back (RFC 6750 error_description: no quotes, no backslashes). */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** The provider's keys could not be read (down, slow, not a JWKS): no token can be checked, whatever it holds. */
export class KeySourceError extends Error {
  override name = 'KeySourceError';
}

export interface JwtVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /**
   * After a fetch, how long a token naming a key the set lacks waits before the set is fetched again (jose's default,
   * 30 s, when unset): a stream of made-up key ids cannot make paybus hammer the provider.
   */
  cooldownMs?: number;
}

export class JwtVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly options: JwtVerifierOptions) {
    // jose caches the set (10 min) and fetches it again when a token names a key id it has not seen: a rotation
    // at the provider is picked up without a restart.
    const remote = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: options.cooldownMs });
    this.keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        throw new KeySourceError(`the identity provider's keys could not be read: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
  }

  /** The token's claims; throws InvalidTokenError (the caller's fault) or KeySourceError (the provider's). */
  async verify(token: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    } catch (error) {
      if (error instanceof KeySourceError) throw error;
      throw new InvalidTokenError(reasonFor(error));
    }
  }
}

function reasonFor(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `the token has no ${error.claim} claim`;
    if (error.claim === 'iss') return 'the token is from another issuer';
    if (error.claim === 'aud') return 'the token is meant for another audience';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'the token is not valid yet';
    return `the token ${error.claim} claim does not hold`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token algorithm is not accepted (asymmetric signatures only)';
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'the token signature does not verify against the identity provider keys';
  }
  return 'the token is not a well-formed signed JWT';
}
