import { describe, expect, it } from 'vitest';
import { isSafeId } from '../../src/serve/api.js';
import { hostHeaderAllowed, isLoopbackHost, pathProblem, presentedToken, tokenMatches } from '../../src/serve/security.js';

describe('the dashboard guards', () => {
  it('knows loopback hosts from reachable ones', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', 'localhost.evil.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses traversal, encoded separators and absolute paths; accepts the dashboard paths', () => {
    const refused: [string, string][] = [
      ['/a/../b', 'traversal'],
      ['/a/%2e%2e/b', 'traversal'],
      ['/a/.%2E/b', 'traversal'],
      ['/a/%2E./b', 'traversal'],
      ['/a/..%2fb', 'encoded-separator'],
      ['/a%5cb', 'encoded-separator'],
      ['/a%00', 'encoded-separator'],
      ['/a\\b', 'encoded-separator'],
      ['//etc/passwd', 'absolute'],
      ['/C:/x', 'absolute'],
      ['/a/./b', 'traversal'],
      ['/%E0%A4%A', 'traversal'],
    ];
    for (const [path, problem] of refused) expect(pathProblem(path), path).toBe(problem);
    for (const path of ['/', '/assets/client.js', '/api/runs/r0123456789abcdef', '/api/studies/demo-0123abcd', '/api/compare']) expect(pathProblem(path), path).toBeUndefined();
  });

  it('accepts only plain ids', () => {
    for (const id of ['r0123456789abcdef', 'demo-0123abcd', 'a.b_c-d']) expect(isSafeId(id), id).toBe(true);
    for (const id of ['..', 'a..b', '.hidden', '/etc/passwd', 'a/b', 'a\\b', '', 'x'.repeat(201), '<script>']) expect(isSafeId(id), id).toBe(false);
  });

  it('checks the Host header against the loopback server and its port', () => {
    expect(hostHeaderAllowed('127.0.0.1:8737', 8737)).toBe(true);
    expect(hostHeaderAllowed('localhost:8737', 8737)).toBe(true);
    expect(hostHeaderAllowed('[::1]:8737', 8737)).toBe(true);
    expect(hostHeaderAllowed('127.0.0.1:9999', 8737)).toBe(false);
    expect(hostHeaderAllowed('attacker.example:8737', 8737)).toBe(false);
    expect(hostHeaderAllowed(undefined, 8737)).toBe(false);
  });

  it('reads the token from a bearer header or the cookie, and compares it exactly', () => {
    expect(presentedToken({ authorization: 'Bearer abc123456' })).toBe('abc123456');
    expect(presentedToken({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedToken({ cookie: 'x=1; ladder_token=abc%3D123; y=2' })).toBe('abc=123');
    expect(tokenMatches('abc123456', 'abc123456')).toBe(true);
    expect(tokenMatches('abc12345', 'abc123456')).toBe(false);
    expect(tokenMatches(undefined, 'abc123456')).toBe(false);
  });
});
