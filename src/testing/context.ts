/**
 * How the in-process test client passes its controls (forced authentication, CSRF enforcement) to the
 * request it sends: through an AsyncLocalStorage that only the test client ever enters, so nothing a
 * network client sends can reach them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { HandleOptions } from '../app.ts';

export const testRequestOptions = new AsyncLocalStorage<HandleOptions>();
