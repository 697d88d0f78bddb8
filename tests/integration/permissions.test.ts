/**
 * Permissions over HTTP and in composition, mirroring DRF 3.14's tests/test_permissions.py (spec §4,
 * §14.3): and/or/not semantics and their short-circuit laziness, #7522's OR on objects, where object
 * permissions run (only getObject) and in which order, the built-in classes, ModelPermissions with
 * and without anonymous reads, custom messages and codes, and DRF's NotAuthenticated-vs-PermissionDenied rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AllowAny,
  APIView,
  BaseAuthentication,
  BasePermission,
  createApp,
  DefaultRouter,
  defineModel,
  fields as m,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  ModelPermissions,
  ModelPermissionsOrAnonReadOnly,
  ModelSerializer,
  ModelViewSet,
  path,
  ReadOnly,
  Response,
  SAFE_METHODS,
  TokenAuthentication,
  type AuthResult,
  type Gatehouse,
  type PermissionPolicy,
  type Request,
  type Route,
  type SettingsInput,
} from '../../src/index.ts';
import type { Model, FieldMap } from '../../src/models/index.ts';
import { ANONYMOUS, User } from '../../src/auth/user.ts';
import { NotFound, PermissionDenied } from '../../src/exceptions.ts';
import type { APIView as APIViewType } from '../../src/views/api-view.ts';
import { APIClient } from '../../src/testing/index.ts';
import { demoApp, TOKENS } from '../helpers.ts';

// ------------------------------------------------------------------------------------------ helpers

const DEFAULT_DENIAL = 'You do not have permission to perform this action.';
const NOT_PROVIDED = 'Authentication credentials were not provided.';

async function buildApp(settings: SettingsInput, routes: readonly Route[], models: readonly Model<FieldMap>[] = []): Promise<Gatehouse> {
  const app = await createApp({
    settings: { secretKey: 'permissions-test', databaseUrl: 'sqlite::memory:', ...settings },
    routes,
    models: models as readonly Model[],
  });
  await app.migrate();
  return app;
}

/** A user without a real password (hashing is slow), and a token for it. */
async function userWithToken(app: Gatehouse, username: string, flags: { isStaff?: boolean; isSuperuser?: boolean; isActive?: boolean } = {}) {
  const user = await app.accounts.createUser({ username, passwordHash: '!unusable', ...flags });
  const token = await app.accounts.setToken(user.id);
  return { user, token };
}

function fakeRequest(user: unknown, method = 'GET'): Request {
  return { user, method } as unknown as Request;
}

const anonymous = fakeRequest(ANONYMOUS);
const authenticated = fakeRequest(
  new User({ id: 1, username: 'u', password: '', email: '', is_active: true, is_staff: false, is_superuser: false }),
);
const view = {} as APIViewType;

interface Calls {
  perm: number;
  obj: number;
}

/** A permission class answering fixed values and counting its calls, as DRF's laziness tests mock them. */
function stub(perm: boolean, obj = true, options: { async?: boolean } = {}) {
  const calls: Calls = { perm: 0, obj: 0 };
  const answer = (value: boolean) => (options.async ? Promise.resolve(value) : value);
  class Stub extends BasePermission {
    override hasPermission() {
      calls.perm++;
      return answer(perm);
    }
    override hasObjectPermission() {
      calls.obj++;
      return answer(obj);
    }
  }
  return { Stub, calls };
}

/** Wraps a built-in permission class so its calls are counted. */
function counted(Base: typeof BasePermission) {
  const calls: Calls = { perm: 0, obj: 0 };
  class Counted extends Base {
    override hasPermission(request: Request, v: APIViewType) {
      calls.perm++;
      return super.hasPermission(request, v);
    }
    override hasObjectPermission(request: Request, v: APIViewType, obj: unknown) {
      calls.obj++;
      return super.hasObjectPermission(request, v, obj);
    }
  }
  return { Counted, calls };
}

// ------------------------------------------------------------------------------------------ composition

describe('composition (DRF PermissionsCompositionTests)', () => {
  it('and: IsAuthenticated & AllowAny is false for anonymous, true for a user', async () => {
    const composed = IsAuthenticated.and(AllowAny);
    expect(await composed.hasPermission(anonymous, view)).toBe(false);
    expect(await composed.hasPermission(authenticated, view)).toBe(true);
  });

  it('or: IsAuthenticated | AllowAny is true for anonymous and for a user', async () => {
    const composed = IsAuthenticated.or(AllowAny);
    expect(await composed.hasPermission(anonymous, view)).toBe(true);
    expect(await composed.hasPermission(authenticated, view)).toBe(true);
  });

  it('not: ~IsAuthenticated is true for anonymous; ~AllowAny is false', async () => {
    expect(await IsAuthenticated.not().hasPermission(anonymous, view)).toBe(true);
    expect(await IsAuthenticated.not().hasPermission(authenticated, view)).toBe(false);
    expect(await AllowAny.not().hasPermission(authenticated, view)).toBe(false);
  });

  it('several levels without negation: four chained ANDs', async () => {
    const composed = IsAuthenticated.and(IsAuthenticated).and(IsAuthenticated).and(IsAuthenticated);
    expect(await composed.hasPermission(authenticated, view)).toBe(true);
    expect(await composed.hasPermission(anonymous, view)).toBe(false);
  });

  it('several levels with negation: IsAuth & ~IsAdmin & IsAuth & ~(IsAdmin & IsAdmin) for a non-staff user', async () => {
    const composed = IsAuthenticated.and(IsAdminUser.not())
      .and(IsAuthenticated)
      .and(IsAdminUser.and(IsAdminUser).not());
    expect(await composed.hasPermission(authenticated, view)).toBe(true);
  });

  it('precedence: A & A | A & A', async () => {
    const composed = IsAuthenticated.and(IsAuthenticated).or(IsAuthenticated.and(IsAuthenticated));
    expect(await composed.hasPermission(authenticated, view)).toBe(true);
    expect(await composed.hasPermission(anonymous, view)).toBe(false);
  });

  it('static and instance forms compose alike', async () => {
    const { Stub: T } = stub(true);
    const { Stub: F } = stub(false);
    expect(await T.and(F).hasPermission(anonymous, view)).toBe(false);
    expect(await new T().and(new F()).hasPermission(anonymous, view)).toBe(false);
    expect(await new F().or(T).hasPermission(anonymous, view)).toBe(true);
    expect(await new F().not().hasPermission(anonymous, view)).toBe(true);
  });

  it('or laziness: AllowAny | IsAuthenticated never asks IsAuthenticated; IsAuthenticated | AllowAny asks both', async () => {
    const any = counted(AllowAny);
    const auth = counted(IsAuthenticated);
    expect(await any.Counted.or(auth.Counted).hasPermission(anonymous, view)).toBe(true);
    expect(any.calls.perm).toBe(1);
    expect(auth.calls.perm).toBe(0);

    const any2 = counted(AllowAny);
    const auth2 = counted(IsAuthenticated);
    expect(await auth2.Counted.or(any2.Counted).hasPermission(anonymous, view)).toBe(true);
    expect(auth2.calls.perm).toBe(1);
    expect(any2.calls.perm).toBe(1);
  });

  it('and laziness: the second operand is not asked when the first is false', async () => {
    const auth = counted(IsAuthenticated);
    const any = counted(AllowAny);
    expect(await auth.Counted.and(any.Counted).hasPermission(anonymous, view)).toBe(false);
    expect(auth.calls.perm).toBe(1);
    expect(any.calls.perm).toBe(0);

    const any2 = counted(AllowAny);
    const auth2 = counted(IsAuthenticated);
    expect(await any2.Counted.and(auth2.Counted).hasPermission(anonymous, view)).toBe(false);
    expect(any2.calls.perm).toBe(1);
    expect(auth2.calls.perm).toBe(1);
  });

  it('object and laziness: hasObjectPermission of the second operand is skipped after a false', async () => {
    const first = stub(true, false);
    const second = stub(true, true);
    expect(await first.Stub.and(second.Stub).hasObjectPermission(anonymous, view, {})).toBe(false);
    expect(first.calls.obj).toBe(1);
    expect(second.calls.obj).toBe(0);
  });

  it('object or laziness: AllowAny | IsAuthenticated asks AllowAny once and IsAuthenticated never', async () => {
    const any = counted(AllowAny);
    const auth = counted(IsAuthenticated);
    expect(await any.Counted.or(auth.Counted).hasObjectPermission(anonymous, view, {})).toBe(true);
    expect(any.calls.obj).toBe(1);
    expect(auth.calls.obj).toBe(0);
    expect(auth.calls.perm).toBe(0);
  });

  it('object or laziness: IsAuthenticated | AllowAny for anonymous skips IsAuthenticated.hasObjectPermission', async () => {
    const auth = counted(IsAuthenticated);
    const any = counted(AllowAny);
    expect(await auth.Counted.or(any.Counted).hasObjectPermission(anonymous, view, {})).toBe(true);
    expect(auth.calls.perm).toBe(1);
    expect(auth.calls.obj).toBe(0);
    expect(any.calls.obj).toBe(1);
  });

  it('#7522: (IsOwner | IsAdminUser) on an object is false for anonymous (one operand must pass both checks)', async () => {
    class IsAuthenticatedUserOwner extends IsAuthenticated {
      override hasObjectPermission(): boolean {
        return true;
      }
    }
    const composed = IsAuthenticatedUserOwner.or(IsAdminUser);
    expect(await composed.hasObjectPermission(anonymous, view, {})).toBe(false);
  });

  it('OR on objects does not mix operands: A passes only hasPermission, B only hasObjectPermission', async () => {
    const a = stub(true, false);
    const b = stub(false, true);
    expect(await a.Stub.or(b.Stub).hasObjectPermission(anonymous, view, {})).toBe(false);
    expect(b.calls.obj).toBe(0);
  });

  it('~IsAuthenticated has object permission false, for anyone', async () => {
    expect(await IsAuthenticated.not().hasObjectPermission(anonymous, view, {})).toBe(false);
    expect(await IsAuthenticated.not().hasObjectPermission(authenticated, view, {})).toBe(false);
  });

  it('nested compositions: (F | T) & ~F is true; ~(T & F) | F is true; ~((T | F) & T) is false', async () => {
    const t = stub(true);
    const f = stub(false);
    expect(await f.Stub.or(t.Stub).and(f.Stub.not()).hasPermission(anonymous, view)).toBe(true);
    expect(await t.Stub.and(f.Stub).not().or(f.Stub).hasPermission(anonymous, view)).toBe(true);
    expect(await t.Stub.or(f.Stub).and(t.Stub).not().hasPermission(anonymous, view)).toBe(false);
  });

  it('nested laziness: (F & X) | (T | Y) asks neither X nor Y', async () => {
    const f = stub(false);
    const x = stub(true);
    const t = stub(true);
    const y = stub(true);
    expect(await f.Stub.and(x.Stub).or(t.Stub.or(y.Stub)).hasPermission(anonymous, view)).toBe(true);
    expect([f.calls.perm, x.calls.perm, t.calls.perm, y.calls.perm]).toEqual([1, 0, 1, 0]);
  });

  it('async operands compose with the same semantics and laziness', async () => {
    const f = stub(false, false, { async: true });
    const t = stub(true, true, { async: true });
    expect(await f.Stub.and(t.Stub).hasPermission(anonymous, view)).toBe(false);
    expect(t.calls.perm).toBe(0);
    expect(await t.Stub.or(f.Stub).hasPermission(anonymous, view)).toBe(true);
    expect(f.calls.perm).toBe(1); // only from the AND above
    expect(await f.Stub.not().hasPermission(anonymous, view)).toBe(true);
    expect(await f.Stub.or(t.Stub).hasObjectPermission(anonymous, view, {})).toBe(true);
    expect(f.calls.obj).toBe(0); // f failed hasPermission, so its object check was not asked
    // A sync operand after an async one, and the reverse.
    const syncFalse = stub(false);
    expect(await t.Stub.and(syncFalse.Stub).hasPermission(anonymous, view)).toBe(false);
    expect(await syncFalse.Stub.or(t.Stub).hasPermission(anonymous, view)).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------ HTTP: object permissions

const Note = defineModel('perm_note', {
  title: m.char({ maxLength: 100 }),
  owner: m.char({ maxLength: 50 }),
});

class NoteSerializer extends ModelSerializer {
  static override meta = { model: Note, fields: ['id', 'title', 'owner'], readOnlyFields: ['owner'] };
}

const objectCalls = { perm: 0, obj: 0 };

class CountingPermission extends BasePermission {
  override hasPermission(): boolean {
    objectCalls.perm++;
    return true;
  }
  override hasObjectPermission(): boolean {
    objectCalls.obj++;
    return true;
  }
}

class IsOwnerOrReadOnly extends BasePermission {
  override message = 'Only the creator may do that.';
  override hasObjectPermission(request: Request, _view: APIViewType, obj: unknown): boolean {
    if (SAFE_METHODS.has(request.method)) return true;
    return (obj as { owner: string }).owner === request.user.username;
  }
}

class AsyncDenyWrites extends BasePermission {
  override message = 'Async says no.';
  override async hasPermission(request: Request): Promise<boolean> {
    await new Promise((resolve) => setImmediate(resolve));
    return SAFE_METHODS.has(request.method) || request.method === 'PATCH';
  }
  override async hasObjectPermission(request: Request): Promise<boolean> {
    await new Promise((resolve) => setImmediate(resolve));
    return request.method !== 'PATCH';
  }
}

class CountedNotes extends ModelViewSet {
  static override queryset = Note.objects.orderBy('id');
  static override serializerClass = NoteSerializer;
  static override permissionClasses: readonly PermissionPolicy[] = [CountingPermission];
  override performCreate(serializer: Parameters<ModelViewSet['performCreate']>[0]) {
    return serializer.save({ owner: this.request.user.username });
  }
}

class OwnedNotes extends CountedNotes {
  static override permissionClasses = [IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly];
}

class AsyncNotes extends CountedNotes {
  static override permissionClasses = [AsyncDenyWrites];
}

class SyncDenyPatch extends BasePermission {
  override message = 'Sync says no.';
  override hasPermission(request: Request): boolean {
    return request.method !== 'PATCH';
  }
}

/** An asynchronous permission first, then a synchronous one: the check goes on after the promise. */
class AsyncThenSyncNotes extends CountedNotes {
  static override permissionClasses = [AsyncDenyWrites, SyncDenyPatch];
}

class StaffNotes extends CountedNotes {
  static override permissionClasses = [IsAdminUser];
}

let lastError: unknown;

class DenyWithCode extends BasePermission {
  override message = 'Custom: You cannot access this resource';
  override code = 'permission_denied_custom';
  override hasPermission(): boolean {
    return false;
  }
}

class DenyPlain extends BasePermission {
  override hasPermission(): boolean {
    return false;
  }
}

class DenyObjectWithCode extends BasePermission {
  override message = 'Custom: You cannot access this object';
  override code = 'permission_denied_object';
  override hasObjectPermission(): boolean {
    return false;
  }
}

function capturing<T extends new () => APIView>(Base: T): T {
  return class extends (Base as new () => APIView) {
    override handleException(error: unknown) {
      lastError = error;
      return super.handleException(error);
    }
  } as unknown as T;
}

class CustomDenyView extends capturing(APIView) {
  static override permissionClasses = [DenyWithCode];
  get(): Response {
    return new Response('never');
  }
}

class PlainDenyView extends capturing(APIView) {
  static override permissionClasses = [DenyPlain];
  get(): Response {
    return new Response('never');
  }
}

/** Hides what it refuses: its denial is a 404, as a view that must not reveal what exists answers. */
class HiddenView extends APIView {
  static override permissionClasses = [IsAuthenticated];
  override permissionDenied(): never {
    throw new NotFound();
  }
  get(): Response {
    return new Response('seen');
  }
}

/** Adds a check of its own after DRF's. */
class ExtraCheckView extends APIView {
  static override permissionClasses = [AllowAny];
  override checkPermissions(request: Request) {
    super.checkPermissions(request);
    if (request.header('x-blocked') !== undefined) throw new PermissionDenied('Blocked.');
  }
  get(): Response {
    return new Response('ok');
  }
}

class NoAuthCustomDenyView extends APIView {
  static override authenticationClasses = [];
  static override permissionClasses = [DenyWithCode];
  get(): Response {
    return new Response('never');
  }
}

class ComposedDenyView extends APIView {
  static override permissionClasses = [DenyWithCode.or(DenyWithCode), new DenyWithCode().and(AllowAny)];
  get(): Response {
    return new Response('never');
  }
}

class ObjectDenyNotes extends capturing(CountedNotes) {
  static override permissionClasses = [DenyObjectWithCode];
}

/** Per-action permissions, as DRF's docs show them: anyone may read, staff may write. */
class PerActionNotes extends CountedNotes {
  static actionsSeen: (string | undefined)[] = [];
  override getPermissions() {
    PerActionNotes.actionsSeen.push(this.action);
    if (this.action === 'list' || this.action === 'retrieve' || this.action === 'metadata') return [new AllowAny()];
    return [new IsAdminUser()];
  }
}

/** ModelPermissions over a view that only overrides getQueryset() (DRF test_get_queryset_has_create_permissions). */
class ModelPermNotes extends CountedNotes {
  static override permissionClasses: readonly PermissionPolicy[] = [ModelPermissions];
  static querysetCalls = 0;
  override getQueryset() {
    ModelPermNotes.querysetCalls++;
    return Note.objects.orderBy('id');
  }
}

describe('permissions over HTTP', () => {
  let app: Gatehouse;
  let client: APIClient;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const router = new DefaultRouter();
    router.register('counted', CountedNotes, 'counted');
    router.register('owned', OwnedNotes, 'owned');
    router.register('async', AsyncNotes, 'async');
    router.register('async-then-sync', AsyncThenSyncNotes, 'async-then-sync');
    router.register('staff', StaffNotes, 'staff');
    router.register('objdeny', ObjectDenyNotes, 'objdeny');
    router.register('per-action', PerActionNotes, 'per-action');
    router.register('model-perm', ModelPermNotes, 'model-perm');
    app = await buildApp(
      { defaultAuthenticationClasses: [TokenAuthentication] },
      [
        ...router.urls,
        path('/custom-deny/', CustomDenyView),
        path('/plain-deny/', PlainDenyView),
        path('/hidden/', HiddenView),
        path('/extra-check/', ExtraCheckView),
        path('/no-auth-custom-deny/', NoAuthCustomDenyView),
        path('/composed-deny/', ComposedDenyView),
      ],
      [Note],
    );
    tokens.alice = (await userWithToken(app, 'alice', { isStaff: true })).token;
    tokens.dave = (await userWithToken(app, 'dave')).token;
    tokens.root = (await userWithToken(app, 'root', { isSuperuser: true })).token; // superuser, NOT staff
    const writer = await userWithToken(app, 'writer');
    await app.accounts.grantPermission(writer.user.id, 'add_perm_note');
    tokens.writer = writer.token;
    await Note.create(app.db, { id: 1, title: "alice's", owner: 'alice' });
    await Note.create(app.db, { id: 2, title: "dave's", owner: 'dave' });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  const as = (who: keyof typeof tokens | null) => client.credentials(who === null ? {} : { authorization: `Token ${tokens[who]}` });

  describe('object permissions run only in getObject()', () => {
    it('list and create never call hasObjectPermission', async () => {
      as('dave');
      objectCalls.perm = objectCalls.obj = 0;
      expect((await client.get('/counted/')).status).toBe(200);
      const created = await client.post('/counted/', { title: 'new' });
      expect(created.status).toBe(201);
      expect(objectCalls).toEqual({ perm: 2, obj: 0 });
      await Note.delete(app.db, (created.data as { id: number }).id);
    });

    it('retrieve, update, partial update and destroy call it once each', async () => {
      as('dave');
      const { id } = (await client.post('/counted/', { title: 'tmp' })).data as { id: number };
      objectCalls.perm = objectCalls.obj = 0;
      expect((await client.get(`/counted/${id}/`)).status).toBe(200);
      expect((await client.put(`/counted/${id}/`, { title: 'tmp2' })).status).toBe(200);
      expect((await client.patch(`/counted/${id}/`, { title: 'tmp3' })).status).toBe(200);
      expect((await client.delete(`/counted/${id}/`)).status).toBe(204);
      expect(objectCalls).toEqual({ perm: 4, obj: 4 });
    });

    it('a missing object is never passed to hasObjectPermission', async () => {
      as('dave');
      objectCalls.perm = objectCalls.obj = 0;
      expect((await client.get('/counted/999/')).status).toBe(404);
      expect(objectCalls).toEqual({ perm: 1, obj: 0 });
    });
  });

  describe('order: view permissions (401/403), then existence (404), then object permissions (403)', () => {
    it('anonymous PUT on a missing object is 401, not 404', async () => {
      as(null);
      const response = await client.put('/owned/999/', { title: 'x' });
      expect(response.status).toBe(401);
      expect(response.data).toEqual({ detail: NOT_PROVIDED });
      expect(response.headers['www-authenticate']).toBe('Token');
    });

    it('anonymous PUT on an existing object is 401 too', async () => {
      as(null);
      expect((await client.put('/owned/2/', { title: 'x' })).status).toBe(401);
    });

    it('authenticated PUT or DELETE on a missing object is 404', async () => {
      as('alice');
      expect((await client.put('/owned/999/', { title: 'x' })).status).toBe(404);
      const response = await client.delete('/owned/999/');
      expect(response.status).toBe(404);
      expect(response.data).toEqual({ detail: 'Not found.' });
    });

    it("authenticated PUT on someone else's object is 403 with the permission's message", async () => {
      as('alice');
      const response = await client.put('/owned/2/', { title: 'mine now' });
      expect(response.status).toBe(403);
      expect(response.data).toEqual({ detail: 'Only the creator may do that.' });
      expect((await Note.objects.get(app.db, 2))?.title).toBe("dave's");
    });

    it('the owner may PATCH; anyone may read', async () => {
      as('dave');
      expect((await client.patch('/owned/2/', { title: "dave's" })).status).toBe(200);
      as(null);
      expect((await client.get('/owned/2/')).status).toBe(200);
      expect((await client.get('/owned/')).status).toBe(200);
    });

    it('the owner with an empty PUT gets the validation error (permission passed)', async () => {
      as('dave');
      const response = await client.put('/owned/2/', {});
      expect(response.status).toBe(400);
      expect(response.data).toEqual({ title: ['This field is required.'] });
    });
  });

  describe('async permissions', () => {
    it('an async hasPermission denial is a 403 with its message', async () => {
      as('dave');
      const response = await client.post('/async/', { title: 'x' });
      expect(response.status).toBe(403);
      expect(response.data).toEqual({ detail: 'Async says no.' });
    });

    it('after an async grant the next permission still decides', async () => {
      as('dave');
      expect((await client.get('/async-then-sync/1/')).status).toBe(200);
      const response = await client.patch('/async-then-sync/1/', { title: 'x' });
      expect(response.status).toBe(403);
      expect(response.data).toEqual({ detail: 'Sync says no.' });
    });

    it('an async hasObjectPermission denial is a 403; an async grant passes', async () => {
      as('dave');
      expect((await client.get('/async/1/')).status).toBe(200);
      const response = await client.patch('/async/1/', { title: 'x' });
      expect(response.status).toBe(403);
      expect(response.data).toEqual({ detail: 'Async says no.' });
    });
  });

  describe('IsAdminUser checks isStaff, not superuser', () => {
    it('a superuser without staff is denied', async () => {
      as('root');
      const response = await client.get('/staff/');
      expect(response.status).toBe(403);
      expect(response.data).toEqual({ detail: DEFAULT_DENIAL });
    });

    it('a staff user who is not a superuser is allowed', async () => {
      as('alice');
      expect((await client.get('/staff/')).status).toBe(200);
    });

    it('anonymous is 401 (token challenge)', async () => {
      as(null);
      const response = await client.get('/staff/');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Token');
    });
  });

  describe('custom message and code; the NotAuthenticated rule', () => {
    it('an authenticated user sees the custom message, and the exception carries the custom code', async () => {
      as('dave');
      lastError = undefined;
      const response = await client.get('/custom-deny/');
      expect(response.status).toBe(403);
      expect(response.data).toEqual({ detail: 'Custom: You cannot access this resource' });
      expect((lastError as { code?: string }).code).toBe('permission_denied_custom');
    });

    it('a permission without a message gives the default detail and code', async () => {
      as('dave');
      lastError = undefined;
      const response = await client.get('/plain-deny/');
      expect(response.status).toBe(403);
      expect(response.data).toEqual({ detail: DEFAULT_DENIAL });
      expect((lastError as { code?: string }).code).toBe('permission_denied');
    });

    it('the object-level custom message and code', async () => {
      as('dave');
      lastError = undefined;
      const response = await client.get('/objdeny/1/');
      expect(response.status).toBe(403);
      expect(response.data).toEqual({ detail: 'Custom: You cannot access this object' });
      expect((lastError as { code?: string }).code).toBe('permission_denied_object');
    });

    it('anonymous, with authenticators configured but none succeeding: NotAuthenticated, custom message dropped', async () => {
      as(null);
      lastError = undefined;
      const response = await client.get('/custom-deny/');
      expect(response.status).toBe(401);
      expect(response.data).toEqual({ detail: NOT_PROVIDED });
      expect((lastError as { code?: string }).code).toBe('not_authenticated');
    });

    it('a view without authentication classes: 403 with the custom message, even anonymous', async () => {
      as(null);
      const response = await client.get('/no-auth-custom-deny/');
      expect(response.status).toBe(403);
      expect(response.data).toEqual({ detail: 'Custom: You cannot access this resource' });
      expect(response.headers['www-authenticate']).toBeUndefined();
    });

    it('a failed composed permission uses the default message, not its operands\'', async () => {
      as('dave');
      const response = await client.get('/composed-deny/');
      expect(response.status).toBe(403);
      expect(response.data).toEqual({ detail: DEFAULT_DENIAL });
    });

    it('an override of permissionDenied decides the answer to a denial', async () => {
      as(null);
      const hidden = await client.get('/hidden/');
      expect(hidden.status).toBe(404);
      expect(hidden.data).toEqual({ detail: 'Not found.' });
      as('dave');
      expect((await client.get('/hidden/')).data).toBe('seen');
    });

    it('an override of checkPermissions runs instead of DRF\'s, and its exception is the answer', async () => {
      as(null);
      expect((await client.get('/extra-check/')).data).toBe('ok');
      const blocked = await client.get('/extra-check/', { headers: { 'x-blocked': '1' } });
      expect(blocked.status).toBe(403);
      expect(blocked.data).toEqual({ detail: 'Blocked.' });
    });

    it('a bad token is 401 "Invalid token." before any permission runs', async () => {
      client.credentials({ authorization: 'Token nope' });
      const response = await client.get('/plain-deny/');
      expect(response.status).toBe(401);
      expect(response.data).toEqual({ detail: 'Invalid token.' });
    });
  });

  describe('ModelPermissions on a view with only getQueryset()', () => {
    it('anonymous is refused (401) before getQueryset() is called (DRF test_check_auth_before_queryset_call)', async () => {
      as(null);
      ModelPermNotes.querysetCalls = 0;
      expect((await client.post('/model-perm/', { title: 'x' })).status).toBe(401);
      expect((await client.get('/model-perm/')).status).toBe(401);
      expect(ModelPermNotes.querysetCalls).toBe(0);
    });

    it('the model comes from getQueryset(): add_perm_note grants POST (201), nothing else', async () => {
      as('writer');
      const created = await client.post('/model-perm/', { title: 'by writer' });
      expect(created.status).toBe(201);
      expect((await client.delete(`/model-perm/${(created.data as { id: number }).id}/`)).status).toBe(403);
      as('dave');
      expect((await client.post('/model-perm/', { title: 'x' })).status).toBe(403);
      expect((await client.get('/model-perm/')).status).toBe(200);
    });
  });

  describe('per-action permissions via getPermissions() and this.action', () => {
    it('reads are open, writes need staff', async () => {
      as(null);
      expect((await client.get('/per-action/')).status).toBe(200);
      expect((await client.get('/per-action/1/')).status).toBe(200);
      expect((await client.post('/per-action/', { title: 'x' })).status).toBe(401);
      as('dave');
      expect((await client.post('/per-action/', { title: 'x' })).status).toBe(403);
      as('alice');
      const created = await client.post('/per-action/', { title: 'by staff' });
      expect(created.status).toBe(201);
      expect((await client.delete(`/per-action/${(created.data as { id: number }).id}/`)).status).toBe(204);
    });

    it('OPTIONS runs as action "metadata"; an unmapped method has no action and still meets the permission first', async () => {
      PerActionNotes.actionsSeen = [];
      as(null);
      expect((await client.options('/per-action/')).status).toBe(200);
      expect(PerActionNotes.actionsSeen[0]).toBe('metadata');
      // HEAD runs GET's action, answered by its handler.
      PerActionNotes.actionsSeen = [];
      expect((await client.request('HEAD', '/per-action/')).status).toBe(200);
      expect(PerActionNotes.actionsSeen).toEqual(['list']);
      // PUT on the list route maps to no action: the write branch applies (401), before the 405.
      PerActionNotes.actionsSeen = [];
      expect((await client.put('/per-action/', { title: 'x' })).status).toBe(401);
      expect(PerActionNotes.actionsSeen).toEqual([undefined]);
      as('alice');
      const response = await client.put('/per-action/', { title: 'x' });
      expect(response.status).toBe(405);
      expect(response.data).toEqual({ detail: 'Method "PUT" not allowed.' });
    });
  });
});

// ------------------------------------------------------------------------------------------ ModelPermissions

/** Trusts an X-Username header and, like RemoteUserAuthentication, does not check isActive. */
class HeaderAuthentication extends BaseAuthentication {
  override async authenticate(request: Request): Promise<AuthResult | null> {
    const username = request.header('x-username');
    if (!username) return null;
    const user = await request.app.accounts.getUserByUsername(username);
    return user === null ? null : [user, null];
  }
}

describe('ModelPermissions on the demo (token auth)', () => {
  let app: Gatehouse;
  let client: APIClient;
  let inactiveEditor: User;
  let inactiveSuperuser: User;
  let directToken: string;

  beforeAll(async () => {
    app = await demoApp({
      defaultAuthenticationClasses: [TokenAuthentication, HeaderAuthentication],
      defaultPermissionClasses: [ModelPermissions],
    });
    inactiveEditor = await app.accounts.createUser({ username: 'sleepy', passwordHash: '!x', isActive: false });
    await app.accounts.addUserToGroup(inactiveEditor.id, 'editors');
    inactiveSuperuser = await app.accounts.createUser({ username: 'retired', passwordHash: '!x', isActive: false, isSuperuser: true, isStaff: true });
    const direct = await app.accounts.createUser({ username: 'direct', passwordHash: '!x' });
    await app.accounts.grantPermission(direct.id, 'add_life');
    directToken = await app.accounts.setToken(direct.id);
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  const token = (key: string) => client.credentials({ authorization: `Token ${key}` });
  let daveToken: string | undefined;
  async function asDave() {
    daveToken ??= await app.accounts.setToken((await app.accounts.getUserByUsername('dave'))!.id);
    token(daveToken);
  }
  async function asRoot() {
    const root = (await app.accounts.getUserByUsername('root'))!;
    token(await app.accounts.setToken(root.id));
  }

  it('anonymous GET is 401 with the token challenge', async () => {
    client.credentials({});
    const response = await client.get('/life/');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Token');
  });

  it('the API root is open to anonymous users (DRF 3.14 consults _ignore_model_permissions first)', async () => {
    client.credentials({});
    const response = await client.get('/', { headers: { host: 'testserver' } });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ life: 'http://testserver/life/', surveys: 'http://testserver/surveys/' });
  });

  it('reading needs no model permission', async () => {
    await asDave();
    expect((await client.get('/life/')).status).toBe(200);
    expect((await client.get('/life/1/')).status).toBe(200);
  });

  it('a user without permissions may not POST, PUT, PATCH or DELETE (403)', async () => {
    await asDave();
    expect((await client.post('/life/', { answer: 1 })).status).toBe(403);
    expect((await client.put('/life/1/', { answer: 1 })).status).toBe(403);
    expect((await client.patch('/life/1/', { answer: 1 })).status).toBe(403);
    const response = await client.delete('/life/1/');
    expect(response.status).toBe(403);
    expect(response.data).toEqual({ detail: DEFAULT_DENIAL });
  });

  it('staff status alone grants no model permission', async () => {
    token(TOKENS.alice);
    expect((await client.post('/life/', { answer: 1 })).status).toBe(403);
  });

  it('the permission check precedes the lookup: DELETE on a missing pk is 403 without the permission, 404 with it', async () => {
    await asDave();
    expect((await client.delete('/life/999/')).status).toBe(403);
    token(TOKENS.bob);
    expect((await client.delete('/life/999/')).status).toBe(404);
  });

  it('permissions through a group: bob (editors) may create, change and delete', async () => {
    token(TOKENS.bob);
    const created = await client.post('/life/', { answer: 5 });
    expect(created.status).toBe(201);
    const id = (created.data as { id: number }).id;
    expect((await client.put(`/life/${id}/`, { answer: 6 })).status).toBe(200);
    expect((await client.patch(`/life/${id}/`, { answer: 7 })).status).toBe(200);
    expect((await client.delete(`/life/${id}/`)).status).toBe(204);
  });

  it('a direct user permission counts for its method only', async () => {
    token(directToken);
    const created = await client.post('/life/', { answer: 9 });
    expect(created.status).toBe(201);
    const id = (created.data as { id: number }).id;
    expect((await client.patch(`/life/${id}/`, { answer: 1 })).status).toBe(403);
    expect((await client.delete(`/life/${id}/`)).status).toBe(403);
  });

  it('an active superuser passes every model permission', async () => {
    await asRoot();
    const created = await client.post('/life/', { answer: 3 });
    expect(created.status).toBe(201);
    expect((await client.delete(`/life/${(created.data as { id: number }).id}/`)).status).toBe(204);
  });

  it('an inactive user has no permissions, even through a group or as a superuser', async () => {
    // HeaderAuthentication (like RemoteUser) does not refuse inactive users, so the permission decides.
    client.credentials({ 'x-username': 'sleepy' });
    expect((await client.get('/life/')).status).toBe(200);
    expect((await client.post('/life/', { answer: 1 })).status).toBe(403);
    client.credentials({ 'x-username': 'retired' });
    expect((await client.delete('/life/1/')).status).toBe(403);
    client.credentials({ 'x-username': 'root' });
    expect((await client.patch('/life/1/', { answer: 42 })).status).toBe(200);
  });

  it('the same through forceAuthenticate (the test client must carry forced users to the request)', async () => {
    client.credentials({});
    client.forceAuthenticate(inactiveEditor);
    expect((await client.post('/life/', { answer: 1 })).status).toBe(403);
    client.forceAuthenticate(inactiveSuperuser);
    expect((await client.delete('/life/1/')).status).toBe(403);
    client.forceAuthenticate(null);
  });

  it("an inactive user's token is refused at authentication (401)", async () => {
    token(TOKENS.carol);
    const response = await client.get('/life/');
    expect(response.status).toBe(401);
    expect(response.data).toEqual({ detail: 'User inactive or deleted.' });
  });

  it('TRACE is 405 from inside the permission (no perms_map entry); anonymous TRACE is 401 first', async () => {
    token(TOKENS.bob);
    const response = await client.request('TRACE', '/life/');
    expect(response.status).toBe(405);
    expect(response.data).toEqual({ detail: 'Method "TRACE" not allowed.' });
    client.credentials({});
    expect((await client.request('TRACE', '/life/')).status).toBe(401);
  });

  it('OPTIONS actions follow the model permissions', async () => {
    token(TOKENS.bob);
    expect(Object.keys((await client.options('/life/')).data as object)).toContain('actions');
    expect(Object.keys(((await client.options('/life/')).data as { actions: object }).actions)).toEqual(['POST']);
    expect(Object.keys(((await client.options('/life/1/')).data as { actions: object }).actions)).toEqual(['PUT']);
    await asDave();
    expect((await client.options('/life/')).data).not.toHaveProperty('actions');
    expect((await client.options('/life/1/')).data).not.toHaveProperty('actions');
  });
});

describe('ModelPermissionsOrAnonReadOnly on the demo (token auth)', () => {
  let app: Gatehouse;
  let client: APIClient;

  beforeAll(async () => {
    app = await demoApp({
      defaultAuthenticationClasses: [TokenAuthentication],
      defaultPermissionClasses: [ModelPermissionsOrAnonReadOnly],
    });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('anonymous may read', async () => {
    expect((await client.get('/life/')).status).toBe(200);
    expect((await client.get('/life/1/')).status).toBe(200);
    expect((await client.head('/life/1/')).status).toBe(200);
  });

  it('anonymous may not write (401, not 403: the token challenge)', async () => {
    const response = await client.post('/life/', { answer: 1 });
    expect(response.status).toBe(401);
    expect(response.data).toEqual({ detail: NOT_PROVIDED });
    expect((await client.delete('/life/1/')).status).toBe(401);
  });

  it('authenticated users still need the model permission to write', async () => {
    client.credentials({ authorization: `Token ${TOKENS.alice}` });
    expect((await client.post('/life/', { answer: 1 })).status).toBe(403);
    client.credentials({ authorization: `Token ${TOKENS.bob}` });
    expect((await client.post('/life/', { answer: 1 })).status).toBe(201);
  });
});

describe('IsAuthenticated | ReadOnly (the demo\'s ComposedView)', () => {
  let app: Gatehouse;
  let client: APIClient;

  beforeAll(async () => {
    app = await demoApp({ defaultAuthenticationClasses: [TokenAuthentication] });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('anonymous GET passes; anonymous POST is 401 with the default message', async () => {
    expect((await client.get('/composed/')).status).toBe(200);
    const response = await client.post('/composed/', { a: 1 });
    expect(response.status).toBe(401);
    expect(response.data).toEqual({ detail: NOT_PROVIDED });
  });

  it('an authenticated POST passes', async () => {
    client.credentials({ authorization: `Token ${TOKENS.bob}` });
    const response = await client.post('/composed/', { a: 1 });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ received: { a: 1 } });
  });

  it('ReadOnly itself allows only GET, HEAD and OPTIONS', async () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(await new ReadOnly().hasPermission(fakeRequest(ANONYMOUS, method))).toBe(true);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'TRACE']) expect(await new ReadOnly().hasPermission(fakeRequest(ANONYMOUS, method))).toBe(false);
  });
});
