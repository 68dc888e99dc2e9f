/**
 * Redis addresses for the queue pool and the worker hosts: a `redis://` URL
 * or a few ioredis options, turned into ioredis options, and a start check
 * that fails fast (ioredis alone would retry for ever, in silence).
 *
 * @module
 */
import { Redis, type RedisOptions } from 'ioredis';
import { InvalidOptionError, QueueConnectionError } from '../errors.js';

/** Where Redis is: a URL (`redis://user:pass@127.0.0.1:6379/0`, `rediss://` for TLS) or options. */
export type QueueConnection = string | QueueConnectionOptions;

/** The Redis server's address and credentials (a subset of ioredis's options, passed to it as they are). */
export interface QueueConnectionOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 6379. */
  readonly port?: number;
  /** Redis ACL user name (Redis 6+). */
  readonly username?: string;
  /** Redis password (`AUTH`). */
  readonly password?: string;
  /** The database number. Default 0. */
  readonly db?: number;
  /** TLS options (Node's `tls.connect` options), or `true` for defaults. */
  readonly tls?: boolean | Readonly<Record<string, unknown>>;
}

/** ioredis options for `connection`, and the address for messages. */
export interface ResolvedConnection {
  readonly options: RedisOptions;
  /** `host:port`. */
  readonly address: string;
}

/** Resolves `connection` (a URL or options). */
export function resolveConnection(connection: unknown): ResolvedConnection {
  if (typeof connection === 'string') {
    let url: URL;
    try {
      url = new URL(connection);
    } catch {
      throw new InvalidOptionError('connection', connection, 'a redis:// URL or { host, port } options');
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new InvalidOptionError('connection', connection, 'a redis:// or rediss:// URL');
    const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = url.port ? Number(url.port) : 6379;
    const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined;
    const options: RedisOptions = {
      host,
      port,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    };
    return { options, address: `${host}:${port}` };
  }
  if (typeof connection !== 'object' || connection === null) {
    throw new InvalidOptionError('connection', connection, 'a redis:// URL or { host, port } options');
  }
  const { tls, ...rest } = connection as QueueConnectionOptions;
  const options: RedisOptions = { ...rest, ...(tls === true ? { tls: {} } : tls ? { tls } : {}) } as RedisOptions;
  return { options, address: `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}` };
}

/**
 * Connects once, with no retry, and pings: rejects within about `timeoutMs`
 * with {@link QueueConnectionError} naming the address when Redis is not there.
 */
export async function checkConnection({ options, address }: ResolvedConnection, timeoutMs: number): Promise<void> {
  const client = new Redis({
    ...options,
    lazyConnect: true,
    // Our own timer below bounds the check: ioredis's connect timer would outlive a refused connection by its length.
    connectTimeout: 0,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // disconnect() below arms a timer of this length in case the socket does not close; after a failure it is
    // already closed, and ioredis's default (2 s, ref'd) would keep a process that gives up alive that long.
    disconnectTimeout: 50,
  });
  // The error event has the real cause (ECONNREFUSED ...); connect() rejects with "Connection is closed".
  let cause: unknown;
  client.on('error', (error) => (cause ??= error));
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new QueueConnectionError(address, cause ?? error);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** Options every long-lived client gets: reconnect for ever, and wait (rather than fail) while disconnected. */
export function liveOptions({ options }: ResolvedConnection): RedisOptions {
  return { ...options, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(100 * times, 1000) };
}
