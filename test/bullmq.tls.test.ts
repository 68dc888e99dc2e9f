/**
 * The queue over TLS with a password, as the security notes of docs/scaling-out.md
 * advise: a redis-server of our own with only a TLS port (a self-signed
 * certificate made here with openssl) and `requirepass`. A `rediss://` URL
 * with the password reaches it from the bin (the CA given to Node with
 * NODE_EXTRA_CA_CERTS), options with `tls: { ca }` from a producer; a wrong
 * password, or a certificate nobody vouched for, fail at start with
 * `QueueConnectionError`. The host's log does not show the password.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { Pool } from '../src';
import { createQueuePool } from '../src/bullmq';
import { poolMap } from '../operators';
import type { QueueTasks } from './fixtures/queue.worker';
import { type Host, queueWorker, startHost, stopHosts, uniqueQueue } from './redis/hosts';
import { freePort } from './redis/server';

const password = 'correct-horse';

describe('the queue over TLS, with a password', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxjs-threadpool-tls-'));
  const cert = join(dir, 'cert.pem');
  let server: ChildProcess | undefined;
  let port = 0;
  let host: Host | undefined;
  const pools: Pool<QueueTasks>[] = [];

  beforeAll(async () => {
    const made = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ]);
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
    port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        cert,
        '--tls-key-file',
        join(dir, 'key.pem'),
        '--tls-ca-cert-file',
        cert,
        '--tls-auth-clients',
        'no',
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--requirepass',
        password,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    server = child;
    await new Promise<void>((resolve, reject) => {
      let text = '';
      child.once('exit', (code) => reject(new Error(`redis-server exited (${String(code)}):\n${text}`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('Ready to accept connections')) resolve();
      });
    });
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    await stopHosts(host ? [host] : []);
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('a host on a rediss:// URL and a producer with tls options run requests; the log hides the password', async () => {
    const queue = uniqueQueue('tls');
    host = await startHost(`rediss://:${password}@127.0.0.1:${port}`, queue, ['--threads', '1'], queueWorker, { NODE_EXTRA_CA_CERTS: cert });
    expect(host.log()).not.toContain(password);
    expect(host.log()).toContain(`rediss://:***@127.0.0.1:${port}`);
    const pool = createQueuePool<QueueTasks>({ connection: { host: '127.0.0.1', port, password, tls: { ca: readFileSync(cert) } }, queue });
    pools.push(pool);
    const outcomes = await lastValueFrom(from([1, 2, 3]).pipe(poolMap(pool, 'inc', { ordered: true }), toArray()));
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual([2, 3, 4]);
  }, 60_000);

  test.each([
    ['a wrong password', () => ({ host: '127.0.0.1', port, password: 'wrong', tls: { ca: readFileSync(cert) } }), /WRONGPASS|invalid username-password/],
    ['no password', () => ({ host: '127.0.0.1', port, tls: { ca: readFileSync(cert) } }), /NOAUTH|Authentication required/],
    ["a certificate no CA vouches for (rediss:// with Node's own CAs)", () => `rediss://:${password}@127.0.0.1:${port}`, /self.signed certificate/],
  ])('%s: the pool fails at start with QueueConnectionError', async (_, connection, cause) => {
    const pool = createQueuePool<QueueTasks>({ connection: connection(), queue: 'nowhere' });
    pools.push(pool);
    const error = await pool.ready.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({ code: 'ERR_QUEUE_CONNECTION', address: `127.0.0.1:${port}`, message: expect.stringMatching(cause) });
  });
});
