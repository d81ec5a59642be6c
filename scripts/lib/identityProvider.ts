// A small identity provider for the tests and the chaos suite: key pairs made with jose, their public JSON Web Key
// Set served over node:http on 127.0.0.1, and access tokens signed with them. Nothing here is paybus code.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
  /** In the key set the provider serves. */
  published: boolean;
}

export interface TokenOptions {
  /** The signing key's id (default: the first); with `key`, only the header's kid. */
  kid?: string;
  /** Signs with this key instead of the published one the kid names (a forger's key). */
  key?: CryptoKey;
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative for a token that has already expired. Default 600. */
  expiresIn?: number;
}

export class TestIdentityProvider {
  readonly issuer = 'https://id.paybus.test/';
  readonly audience = 'paybus-api';
  /** How many times the key set was fetched: paybus caches it. */
  fetches = 0;
  private readonly keys: SigningKey[] = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<TestIdentityProvider> {
    let idp: TestIdentityProvider | undefined;
    const server = http.createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
      idp!.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: idp!.keys.filter((k) => k.published).map((k) => k.jwk) }));
    });
    idp = new TestIdentityProvider(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    idp.publish(await idp.createKey());
    return idp;
  }

  get jwksUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  /** The environment that points paybus at this provider. */
  env(): Record<string, string> {
    return { AUTH_JWKS_URL: this.jwksUrl, AUTH_ISSUER: this.issuer, AUTH_AUDIENCE: this.audience };
  }

  /** A new key pair with its own kid, not in the key set until published; returns its kid. */
  async createKey(alg = 'RS256'): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `key-${this.keys.length + 1}`;
    this.keys.push({ kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, published: false });
    return kid;
  }

  /** Puts a key in the key set from now on (a rotation at the provider). */
  publish(kid: string): void {
    this.keyFor(kid).published = true;
  }

  /** A key pair the key set never holds. */
  async forgeKey(alg = 'RS256'): Promise<CryptoKey> {
    return (await generateKeyPair(alg)).privateKey;
  }

  async token(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
    const signing = this.keyFor(options.kid);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 600));
    return jwt.sign(options.key ?? signing.privateKey);
  }

  /** The same claims with `alg: none` and no signature. */
  unsigned(claims: JWTPayload): string {
    return new UnsecuredJWT(claims).setIssuer(this.issuer).setAudience(this.audience).setIssuedAt().setExpirationTime('10m').encode();
  }

  /** HS256 with the published public key's PEM as the HMAC secret: the algorithm-confusion forgery. */
  async hmacWithPublicKey(claims: JWTPayload): Promise<string> {
    const first = this.keyFor(undefined);
    const secret = new TextEncoder().encode(await exportSPKI(first.publicKey));
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: first.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(secret);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private keyFor(kid: string | undefined): SigningKey {
    const key = kid === undefined ? this.keys[0] : this.keys.find((k) => k.kid === kid);
    if (!key) throw new Error(`no key ${kid}`);
    return key;
  }
}
