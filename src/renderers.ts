/**
 * Renderers turn response data into bytes for the negotiated media type (DRF's `renderers.py`).
 */
import type { MediaType } from './media-types.ts';
import type { Request } from './request.ts';
import type { Response } from './response.ts';
import type { APIView } from './views/api-view.ts';

export interface RenderContext {
  request: Request;
  response: Response;
  /** Absent when the request failed before reaching a view (e.g. an unknown URL). */
  view: APIView | undefined;
  accepted: MediaType;
}

export interface Renderer {
  readonly mediaType: string;
  /** The `?format=` / URL suffix that selects this renderer. */
  readonly format: string;
  /** The Content-Type header value sent with rendered bodies. */
  readonly contentType: string;
  /** A promise only when rendering must ask something first (the browsable API's permission probes). */
  render(data: unknown, context: RenderContext): string | Promise<string>;
}

/** Compact JSON without a charset parameter, as DRF; `Accept: application/json; indent=4` pretty-prints. */
export class JSONRenderer implements Renderer {
  readonly mediaType = 'application/json';
  readonly format = 'json';
  readonly contentType = 'application/json';

  render(data: unknown, context: RenderContext): string {
    if (data === null || data === undefined) return '';
    const indent = context.accepted.params.indent;
    if (indent !== undefined) {
      const spaces = Number.parseInt(indent, 10);
      if (spaces > 0) return JSON.stringify(data, null, Math.min(spaces, 8));
    }
    return JSON.stringify(data);
  }
}
