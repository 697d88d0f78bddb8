/**
 * The `gatehouse` command: migrate, createsuperuser, createtoken, serve (Django's manage.py commands).
 * Each loads the app from `--app FILE` (default `$GATEHOUSE_APP`, else `./app.ts`): a module whose
 * default export is a Gatehouse app or a function returning one.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import type { Gatehouse } from '../app.ts';
import cluster from 'node:cluster';
import { serve } from '../http/serve.ts';
import { superviseWorkers } from '../http/cluster.ts';
import { APIException, ImproperlyConfigured } from '../exceptions.ts';
import { Prompter } from './prompt.ts';

const USAGE = `Usage: gatehouse <command> [--app FILE] [options]

Commands:
  migrate                          create or update the database tables
  createsuperuser [--username U] [--email E] [--noinput]
                                   create a superuser; with --noinput the password
                                   comes from $GATEHOUSE_SUPERUSER_PASSWORD
  createtoken USERNAME [-r|--reset]
                                   print the user's API token (a new one with --reset)
  serve [--host H] [--port P] [--workers N]
                                   run the HTTP server (default 127.0.0.1:8000), in N
                                   processes sharing the port (default 1; use PostgreSQL
                                   and Redis with more than one)
  clearsessions                    delete expired sessions (run it from cron)

The app is the default export of --app FILE ($GATEHOUSE_APP, else ./app.ts):
a Gatehouse app or a function returning one.`;

export class CommandError extends Error {}

const COMMANDS = new Set(['migrate', 'createsuperuser', 'createtoken', 'serve', 'clearsessions']);

export async function main(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
}): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return command ? 0 : 1;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        app: { type: 'string' },
        username: { type: 'string' },
        email: { type: 'string' },
        noinput: { type: 'boolean' },
        'no-input': { type: 'boolean' },
        reset: { type: 'boolean', short: 'r' },
        host: { type: 'string' },
        port: { type: 'string' },
        workers: { type: 'string' },
      },
    });
    if (!COMMANDS.has(command)) throw new CommandError(`Unknown command "${command}".\n\n${USAGE}`);
    const port = Number(values.port ?? process.env.PORT ?? 8000);
    if (command === 'serve') {
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CommandError(`Invalid port "${values.port}".`);
      const workers = Number(values.workers ?? 1);
      if (!Number.isInteger(workers) || workers < 1) throw new CommandError(`Invalid --workers "${values.workers}": a whole number, 1 or more.`);
      // The primary only supervises; each worker runs this same command and serves the app itself.
      if (workers > 1 && cluster.isPrimary) return await superviseServe(workers, io);
    }
    const app = await loadApp(values.app);
    if (command === 'serve') {
      const serving = await serve(app, { host: values.host ?? '127.0.0.1', port, logger: { level: app.settings.debug ? 'info' : 'warn' } });
      if (cluster.isPrimary) io.out(`Gatehouse serving on ${serving.address}/`);
      await serving.closed;
      return 0;
    }
    // Closed whatever happens: an open Redis connection or PostgreSQL pool would keep a failed command alive.
    try {
      switch (command) {
        case 'migrate':
          await app.migrate();
          io.out('Migrations applied.');
          return 0;
        case 'createsuperuser':
          await createSuperuser(app, { username: values.username, email: values.email, noinput: values.noinput || values['no-input'] }, io);
          return 0;
        case 'createtoken': {
          const username = positionals[0];
          if (!username) throw new CommandError('createtoken needs a username: gatehouse createtoken USERNAME [-r]');
          const user = await app.accounts.getUserByUsername(username);
          if (user === null) throw new CommandError(`Cannot create the Token: user ${username} does not exist`);
          const key = values.reset ? await app.accounts.setToken(user.id) : (await app.accounts.getOrCreateToken(user.id)).key;
          io.out(`Generated token ${key} for user ${username}`);
          return 0;
        }
        default: // clearsessions
          io.out(`Deleted ${await app.accounts.clearExpiredSessions()} expired sessions.`);
          return 0;
      }
    } finally {
      await app.close();
    }
  } catch (error) {
    if (error instanceof CommandError || error instanceof ImproperlyConfigured) {
      io.err(`CommandError: ${error.message}`);
      return 1;
    }
    if (error instanceof APIException) {
      io.err(`Error: ${typeof error.detail === 'string' ? error.detail : JSON.stringify(error.detail)}`);
      return 1;
    }
    if (error instanceof TypeError && (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.err(`${error.message}\n\n${USAGE}`);
      return 1;
    }
    throw error;
  }
}

async function superviseServe(workers: number, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const supervision = superviseWorkers(workers, io.err);
  try {
    io.out(`Gatehouse serving on ${await supervision.listening}/ with ${workers} worker processes`);
  } catch (error) {
    io.err(`CommandError: ${(error as Error).message}`);
  }
  return supervision.stopped;
}

export async function loadApp(file: string | undefined): Promise<Gatehouse> {
  const path = resolve(file ?? process.env.GATEHOUSE_APP ?? 'app.ts');
  if (!existsSync(path)) throw new CommandError(`No app at ${path}. Pass --app FILE or set GATEHOUSE_APP.`);
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  const exported = module.default;
  const app = typeof exported === 'function' ? await (exported as () => unknown)() : exported;
  if (!app || typeof (app as Gatehouse).handle !== 'function') {
    throw new CommandError(`${path} must export default a Gatehouse app (createApp(...)) or a function returning one.`);
  }
  return app as Gatehouse;
}

async function createSuperuser(
  app: Gatehouse,
  options: { username?: string | undefined; email?: string | undefined; noinput?: boolean | undefined },
  io: { out: (s: string) => void },
): Promise<void> {
  let { username, email } = options;
  let password: string | undefined;
  if (options.noinput) {
    username ??= process.env.GATEHOUSE_SUPERUSER_USERNAME;
    email ??= process.env.GATEHOUSE_SUPERUSER_EMAIL ?? '';
    password = process.env.GATEHOUSE_SUPERUSER_PASSWORD;
    if (!username) throw new CommandError('You must use --username with --noinput (or set GATEHOUSE_SUPERUSER_USERNAME).');
  } else {
    const prompter = new Prompter();
    try {
      while (!username) {
        username = (await prompter.ask('Username: ')).trim();
        if (username && (await app.accounts.getUserByUsername(username))) {
          io.out('Error: That username is already taken.');
          username = undefined;
        }
      }
      email ??= (await prompter.ask('Email address: ')).trim();
      for (;;) {
        password = await prompter.ask('Password: ', true);
        const again = await prompter.ask('Password (again): ', true);
        if (password !== again) io.out("Error: Your passwords didn't match.");
        else if (password === '') io.out("Error: Blank passwords aren't allowed.");
        else break;
      }
    } catch (error) {
      throw new CommandError((error as Error).message);
    } finally {
      prompter.close();
    }
  }
  await app.accounts.createUser({ username, email: email ?? '', password: password ?? null, isStaff: true, isSuperuser: true });
  io.out('Superuser created successfully.');
}
