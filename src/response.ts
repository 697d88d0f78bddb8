/**
 * What a view returns: data to render, a status and extra headers (DRF's `Response`). Rendering
 * happens after the view, once content negotiation has picked the renderer.
 */
export class Response<T = unknown> {
  data: T;
  status: number;
  headers: Record<string, string>;
  /** Set on responses built from an exception, so renderers can show them as errors. */
  exception = false;

  constructor(data: T, status = 200, headers: Record<string, string> = {}) {
    this.data = data;
    this.status = status;
    this.headers = headers;
  }
}

/** A response that is not rendered: a redirect or an HTML page produced outside the API pipeline. */
export class RawResponse {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: string | Buffer = '',
  ) {}

  static redirect(location: string): RawResponse {
    return new RawResponse(302, { location });
  }
}
