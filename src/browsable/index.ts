/**
 * The browsable API: the HTML renderer and its templates. Users override a template with
 * `addTemplateDir(dir)`, a folder holding a file of the same name (as DRF's `rest_framework/api.html`);
 * renderer.ts lists the templates and the data they receive.
 */
import { JSONRenderer, type Renderer } from '../renderers.ts';
import { BrowsableAPIRenderer } from './renderer.ts';

export { BrowsableAPIRenderer, type PageData, type RawForm } from './renderer.ts';
export type { FormField, HtmlForm } from './forms.ts';
export { addTemplateDir, renderTemplate } from './templates.ts';

const DEFAULT_RENDERERS: readonly Renderer[] = [new JSONRenderer(), new BrowsableAPIRenderer()];

/** DRF's default: JSON first (so clients without an Accept header get JSON), then the browsable API. */
export function defaultRenderers(): readonly Renderer[] {
  return DEFAULT_RENDERERS;
}
