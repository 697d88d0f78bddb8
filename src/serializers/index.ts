/**
 * Serializers, DRF-style: `Serializer` with declared fields, `ModelSerializer` deriving them from a
 * model, the typed fields, and the metadata (`fieldInfo`, `toJsonSchema`) OPTIONS and OpenAPI use.
 */
export {
  Field,
  SKIP,
  empty,
  fail,
  type FieldInfo,
  type FieldOptions,
  type JsonSchema,
  type MaybePromise,
  type SerializerContext,
  type ValidationContext,
  type Validator,
} from './field.ts';
export {
  BooleanField,
  CharField,
  ChoiceField,
  DateTimeField,
  EmailField,
  FloatField,
  IntegerField,
  ReadOnlyField,
  type CharFieldOptions,
  type Choice,
  type ChoiceFieldOptions,
  type NumberFieldOptions,
} from './fields.ts';
export { PrimaryKeyRelatedField, type PkLookup, type PrimaryKeyRelatedFieldOptions } from './relations.ts';
export { uniqueValidator } from './validators.ts';
export {
  NON_FIELD_ERRORS,
  Serializer,
  type Attrs,
  type Representation,
  type SerializedData,
  type SerializerErrors,
  type SerializerClass,
  type SerializerOptions,
} from './serializer.ts';
export { ModelSerializer, type ModelSerializerMeta } from './model-serializer.ts';
