import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIClient } from '../../src/testing/index.ts';
import type { Gatehouse } from '../../src/index.ts';
import { demoApp, TOKENS } from '../helpers.ts';

describe('the demo through the test client', () => {
  let app: Gatehouse;
  let client: APIClient;
  beforeAll(async () => {
    app = await demoApp();
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('reads with a token', async () => {
    client.credentials({ authorization: `Token ${TOKENS.alice}` });
    const response = await client.get('/life/1/');
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ id: 1, answer: 42 });
  });
});
