/**
 * Validators that need the database. DRF's UniqueValidator: the value must not already be stored in
 * the column, ignoring the instance being updated.
 */
import { ImproperlyConfigured } from '../exceptions.ts';
import type { FieldMap, Model } from '../models/index.ts';
import { fail, type Validator } from './field.ts';

/**
 * Rejects a value already present in `model`'s `field` with `message` (DRF's default:
 * `This field must be unique.`). A related row compares by its primary key.
 */
export function uniqueValidator(model: Model<FieldMap>, field: string, message = 'This field must be unique.'): Validator {
  if (model.meta.field(field) === undefined) {
    throw new ImproperlyConfigured(`uniqueValidator: ${model.meta.name} has no field "${field}".`);
  }
  return async (value, { context, instance }) => {
    const db = context.db;
    if (db === undefined) throw new ImproperlyConfigured('A unique field needs the database as `context.db`.');
    let others = model.objects.where(field, '=', value);
    const id = (instance as { id?: unknown } | undefined)?.id;
    if (id !== undefined) others = others.where('id', '!=', id);
    if (await others.exists(db)) fail(message, 'unique');
  };
}
