/**
 * The `gatehouse` command, run as users run it: a child process over the demo app and an SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNetServer } from 'node:net';

const BIN = new URL('../../bin/gatehouse.js', import.meta.url).pathname;
const APP = new URL('../../examples/demo/app.ts', import.meta.url).pathname;

describe('gatehouse CLI', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  function run(args: string[], input?: string) {
    const result = spawnSync(process.execPath, [BIN, ...args, '--app', APP], { env, input, encoding: 'utf8', timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'db.sqlite3')}`, GATEHOUSE_SECRET_KEY: 'cli-test-key' };
    expect(run(['migrate']).status).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate is idempotent', () => {
    const result = run(['migrate']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Migrations applied.');
  });

  it('createsuperuser asks for username, email and the password twice, without echoing it', () => {
    const result = run(['createsuperuser'], 'admin\nadmin@example.com\nfirst-pw-1\nother\nfirst-pw-1\nfirst-pw-1\n');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Error: Your passwords didn't match.");
    expect(result.stdout).toContain('Superuser created successfully.');
    expect(result.stdout).not.toContain('first-pw-1');
  });

  it('createsuperuser --noinput takes the password from the environment', () => {
    env.GATEHOUSE_SUPERUSER_PASSWORD = 'ops-password-1';
    const result = run(['createsuperuser', '--noinput', '--username', 'ops']);
    delete env.GATEHOUSE_SUPERUSER_PASSWORD;
    expect(result.status).toBe(0);
    const again = run(['createsuperuser', '--noinput', '--username', 'ops']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('A user with that username already exists.');
    expect(run(['createsuperuser', '--noinput']).stderr).toContain('--username');
  });

  it('createtoken prints the same token until -r replaces it', () => {
    const first = run(['createtoken', 'admin']);
    expect(first.status).toBe(0);
    const key = /^Generated token ([0-9a-f]{40}) for user admin$/m.exec(first.stdout)?.[1];
    expect(key).toBeDefined();
    expect(run(['createtoken', 'admin']).stdout).toContain(key!);
    const reset = run(['createtoken', 'admin', '-r']);
    expect(reset.stdout).toMatch(/Generated token [0-9a-f]{40} for user admin/);
    expect(reset.stdout).not.toContain(key!);
  });

  it('createtoken for an unknown user fails with DRF\'s message', () => {
    const result = run(['createtoken', 'nobody']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('CommandError: Cannot create the Token: user nobody does not exist');
  });

  it('clearsessions deletes expired sessions', () => {
    const result = run(['clearsessions']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Deleted \d+ expired sessions\.$/m);
  });

  it('an unknown command prints the usage and fails', () => {
    const result = run(['frobnicate']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Usage: gatehouse');
  });

  it('serve answers requests and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--app', APP], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    try {
      await waitFor(() => output.includes('serving on'), 30_000);
      const response = await fetch(`http://127.0.0.1:${port}/life/`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the server');
    await new Promise((r) => setTimeout(r, 50));
  }
}
