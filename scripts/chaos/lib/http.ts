// A bounded HTTP client for the chaos suite: node:http (raw paths, raw bodies), 127.0.0.1 only, a timeout on every call.
import http from 'node:http';

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  headers: http.IncomingHttpHeaders;
  /** Milliseconds from send to the end of the body. */
  ms: number;
}

export interface Call {
  method: string;
  /** Sent as written: not normalised, so `..` and `%2e` reach the server. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** Only loopback: a chaos run never sends traffic anywhere else. */
function loopbackPort(base: string): number {
  const url = new URL(base);
  if (url.hostname !== '127.0.0.1') throw new Error(`chaos traffic goes to 127.0.0.1 only, not ${url.hostname}`);
  return Number(url.port);
}

export function send(base: string, call: Call, timeoutMs = 15_000): Promise<Answer> {
  const port = loopbackPort(base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...call.headers };
    if (call.body !== undefined) headers['content-length'] = Buffer.byteLength(call.body);
    const req = http.request({ host: '127.0.0.1', port, method: call.method, path: call.path, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
          ms: performance.now() - started,
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms: ${call.method} ${call.path.slice(0, 80)}`)));
    req.on('error', reject);
    if (call.body !== undefined) req.write(call.body);
    req.end();
  });
}

export async function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send(base, { method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

export async function getJson<T>(base: string, path: string, headers: Record<string, string> = {}): Promise<T> {
  const a = await send(base, { method: 'GET', path, headers });
  if (a.status !== 200) throw new Error(`GET ${path}: ${a.status} ${a.text.slice(0, 200)}`);
  return JSON.parse(a.text) as T;
}

export function closeIdleSockets(): void {
  agent.destroy();
}
