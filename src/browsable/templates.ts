/**
 * Template rendering with Eta, which escapes every interpolated value by default. The built-in
 * templates live beside this file; a user's folder listed first overrides any of them by name.
 */
import { Eta } from 'eta';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const BUILTIN = fileURLToPath(new URL('./templates/', import.meta.url));
const userDirs: string[] = [];
const engines = new Map<string, Eta>();

/** Adds a folder whose templates take precedence over the built-in ones (e.g. your own `api.eta`). */
export function addTemplateDir(dir: string): void {
  userDirs.unshift(dir);
}

function engineFor(name: string): Eta {
  const dir = userDirs.find((d) => existsSync(join(d, `${name}.eta`))) ?? BUILTIN;
  let engine = engines.get(dir);
  if (engine === undefined) {
    engine = new Eta({ views: dir, autoEscape: true, cache: true, autoTrim: false });
    engines.set(dir, engine);
  }
  return engine;
}

export function renderTemplate(name: string, data: object): string {
  return engineFor(name).render(name, data);
}
