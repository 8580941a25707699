/**
 * The four subscription routes over HTTP on `npm start` (startLocal): the same catalogue entries and
 * handlers the deployed API serves.
 */
import { useLocalProduct } from '../support/local-product';

const product = useLocalProduct('wechat-kf-sub-routes-');

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${product.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

describe('the subscription routes', () => {
  it('create (201, the secret shown once), list, get, delete, then 404', async () => {
    // Act
    const created = await call('POST', '/subscriptions', { url: 'http://127.0.0.1:5999/hook', events: ['message.*'], description: 'n8n' });
    const listed = await call('GET', '/subscriptions');
    const got = await call('GET', `/subscriptions/${created.json.id}`);
    const deleted = await call('DELETE', `/subscriptions/${created.json.id}`);
    const after = await call('GET', `/subscriptions/${created.json.id}`);
    const deletedAgain = await call('DELETE', `/subscriptions/${created.json.id}`);
    // Assess
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: expect.stringMatching(/^sub_[A-Za-z0-9]{20}$/),
      url: 'http://127.0.0.1:5999/hook',
      events: ['message.*'],
      description: 'n8n',
      secret: expect.stringMatching(/^whsec_/),
      createdAt: expect.any(String),
    });
    expect(listed.status).toBe(200);
    expect(listed.json.subscriptions).toHaveLength(1);
    expect(got.json).toMatchObject({ id: created.json.id, deliveries: { delivered: 0, status: 'ok' } });
    for (const text of [listed.text, got.text]) expect(text).not.toContain(created.json.secret);
    expect(deleted.json).toEqual({ id: created.json.id, deleted: true });
    expect(after.status).toBe(404);
    expect(after.json.error.code).toBe('SUBSCRIPTION_NOT_FOUND');
    expect(deletedAgain.status).toBe(404);
  });

  it.each([
    [{ url: 'http://hooks.example.com/x' }, 'url: must use https'],
    [{ url: 'ftp://127.0.0.1/x' }, 'url: must use https, not ftp'],
    [{}, 'url: is required'],
    [{ url: 'https://127.0.0.1/x', events: 'message.*' }, 'events: must be an array'],
    [{ url: 'https://127.0.0.1/x', secret: 'mine' }, 'secret: is not a field'],
    ['[1]', '(body): must be a JSON object'],
  ])('refuses %j with 400 naming the field, storing nothing', async (body, message) => {
    const res = await call('POST', '/subscriptions', body);
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain(message);
    expect((await call('GET', '/subscriptions')).json.subscriptions).toEqual([]);
  });

  it('answers 400 for a malformed id', async () => {
    const res = await call('GET', '/subscriptions/not-an-id');
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain('id: must be a subscription id');
  });
});
