/**
 * Template rendering with Eta, which escapes every interpolated value by default. Templates are
 * looked up by name: first in the folders given to `addTemplateDir` (the last added first), then
 * beside this file. That holds for `include()` and `layout()` inside templates too, so a user may
 * override the whole page (`api.eta`), or keep it and override one of its parts.
 *
 * Compiled templates are cached: rendering a page never reads or compiles a file after its first use.
 */
import { Eta } from 'eta';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const BUILTIN = fileURLToPath(new URL('./templates/', import.meta.url));
const userDirs: string[] = [];
/** Template name to file, resolved once (reset when a folder is added). */
const resolved = new Map<string, string>();

/**
 * Adds a folder whose templates take precedence over the built-in ones (e.g. your own `api.eta`).
 * Returns a function that removes it again (for tests).
 */
export function addTemplateDir(dir: string): () => void {
  userDirs.unshift(dir);
  resolved.clear();
  return () => {
    const index = userDirs.indexOf(dir);
    if (index !== -1) userDirs.splice(index, 1);
    resolved.clear();
  };
}

function resolveTemplate(name: string): string {
  let file = resolved.get(name);
  if (file === undefined) {
    const base = `${name.replace(/^[./\\]+/, '').replace(/\.eta$/, '')}.eta`;
    if (base.includes('..')) throw new Error(`Template name "${name}" may not leave the template folders.`);
    const dir = userDirs.find((d) => existsSync(join(d, base))) ?? BUILTIN;
    file = join(dir, base);
    resolved.set(name, file);
  }
  return file;
}

class CascadingEta extends Eta {
  override resolvePath = (name: string): string => resolveTemplate(name);
}

const eta = new CascadingEta({ views: BUILTIN, autoEscape: true, cache: true, autoTrim: false });

export function renderTemplate(name: string, data: object): string {
  return eta.render(name, data);
}
