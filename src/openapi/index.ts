/**
 * OpenAPI 3.1 for a Gatehouse app: `generateOpenApi(app)` builds the document from the compiled
 * routes; `schemaUrls()` serves it at `/schema/` with a Swagger UI page at `/docs/`.
 */
export { generateOpenApi, type OpenApiOptions } from './generator.ts';
export { DocsAssetView, SchemaView, SwaggerUIView, schemaUrls, type SchemaUrlsOptions } from './views.ts';
export type {
  DescribedSecurityScheme,
  DescribesSecurityScheme,
  OpenApiDocument,
  OperationObject,
  PathItem,
  SecuritySchemeObject,
} from './types.ts';
