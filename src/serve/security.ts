/**
 * The dashboard's guards, as pure functions the server calls on every request: which hosts are
 * loopback, which request paths are refused (traversal in any spelling), and the token check.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 and `localhost`: a bind that no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./i.test(bare);
  return false;
}

export type PathProblem = 'traversal' | 'encoded-separator' | 'absolute' | 'control-character';

/**
 * Why a raw request path (before any decoding) is refused, or undefined when it is acceptable.
 * Nothing in a path is ever used as a file name, but refusing these spellings outright means no
 * later change to the router can turn one into a file access.
 */
export function pathProblem(rawPath: string): PathProblem | undefined {
  if (/%2e%2e|%2e\.|\.%2e/i.test(rawPath)) return 'traversal';
  if (/%2f|%5c|%00/i.test(rawPath) || rawPath.includes('\\')) return 'encoded-separator';
  if (rawPath.startsWith('//') || /^\/[A-Za-z]:/.test(rawPath)) return 'absolute';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(rawPath)) return 'control-character';
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return 'traversal';
  }
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) return 'traversal';
  if (decoded.includes('//')) return 'absolute';
  return undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

export const TOKEN_COOKIE = 'ladder_token';

/** The token a request presents: `Authorization: Bearer T`, else the dashboard's cookie. */
export function presentedToken(headers: { authorization?: string | undefined; cookie?: string | undefined }): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(auth.trim());
    return match ? match[1] : undefined;
  }
  for (const part of (headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Whether the Host header names the loopback server itself: a page on another site that
 * resolves its own name to 127.0.0.1 (DNS rebinding) sends its own name and is refused.
 */
export function hostHeaderAllowed(hostHeader: string | undefined, port: number): boolean {
  if (hostHeader === undefined) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
  if (!match) return false;
  const [, host, hostPort] = match;
  return isLoopbackHost(host!) && (hostPort === undefined ? port === 80 : Number(hostPort) === port);
}
