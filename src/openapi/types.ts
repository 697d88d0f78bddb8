/**
 * The parts of an OpenAPI 3.1 document the generator writes. Schemas are JSON Schema 2020-12, as
 * OpenAPI 3.1 uses it.
 */
import type { JsonSchema } from '../serializers/index.ts';

export type { JsonSchema };

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers?: ServerObject[];
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, SecuritySchemeObject> };
  tags: { name: string }[];
}

export interface ServerObject {
  url: string;
  description?: string;
}

export type HttpMethodKey = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'trace';

export type PathItem = { parameters?: ParameterObject[] } & Partial<Record<HttpMethodKey, OperationObject>>;

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: ParameterObject[];
  requestBody?: RequestBodyObject;
  responses: Record<string, ResponseObject>;
  /** Alternatives: any one entry satisfies the operation; `{}` means no credentials. */
  security: Record<string, string[]>[];
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface MediaTypeObject {
  schema?: JsonSchema;
  examples?: Record<string, { summary?: string; value: unknown }>;
}

export interface RequestBodyObject {
  required?: boolean;
  content: Record<string, MediaTypeObject>;
}

export interface HeaderObject {
  description?: string;
  schema: JsonSchema;
  example?: unknown;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, MediaTypeObject>;
}

export type SecuritySchemeObject =
  | { type: 'apiKey'; in: 'header' | 'query' | 'cookie'; name: string; description?: string }
  | { type: 'http'; scheme: string; bearerFormat?: string; description?: string };

/** A security scheme under the name it gets in `components.securitySchemes`. */
export interface DescribedSecurityScheme {
  /** The component name, e.g. `tokenAuth`. */
  readonly id: string;
  readonly scheme: SecuritySchemeObject;
}

/**
 * Implemented by a custom authentication class (as an instance or static method) to appear in the
 * document as a security scheme. Return null to leave it out; it is then only mentioned in the
 * descriptions of the operations it guards.
 */
export interface DescribesSecurityScheme {
  openApiSecurityScheme(): DescribedSecurityScheme | null;
}
