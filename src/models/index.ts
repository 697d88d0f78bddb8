/**
 * The model layer: `defineModel(name, { title: fields.char({ maxLength: 200 }) })`, typed rows
 * (`RowOf<typeof Survey>`) and lazy, database-independent QuerySets.
 */
export * as fields from './fields.ts';
export type {
  AnyFieldOptions,
  CharOptions,
  DateTimeOptions,
  EmailOptions,
  FieldDefinition,
  FieldKind,
  FieldMap,
  ModelFieldOptions,
  ForeignKeyDefinition,
  ForeignKeyOptions,
  ModelLike,
  OnDelete,
} from './fields.ts';
export { ModelField } from './model-field.ts';
export {
  Model,
  ModelMeta,
  defineModel,
  registeredModels,
  type ColumnName,
  type Columns,
  type ForeignKeyName,
  type OnlyName,
  type ModelOptions,
  type OrderTerm,
  type Row,
  type RowOf,
  type Values,
} from './model.ts';
export { QuerySet, type QueryTables, type WhereCallback } from './queryset.ts';
export { Q } from './q.ts';
export { parsePk } from './pk.ts';
