import {
  AllowAny,
  APIView,
  apiView,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  ModelViewSet,
  Q,
  ReadOnly,
  Response,
  ScopedRateThrottle,
  type QuerySet,
  type Request,
  type Serializer,
} from '../../src/index.ts';
import { Life, Survey } from './models.ts';
import { LifeSerializer, SurveySerializer } from './serializers.ts';
import { IsCreatorOrReadOnly } from './permissions.ts';

export class LifeViewSet extends ModelViewSet {
  static override queryset = Life.objects.orderBy('id');
  static override serializerClass = LifeSerializer;
}

export class SurveyViewSet extends ModelViewSet {
  // The creator's username is all SurveySerializer reads of the user: only() spares loading (and
  // decoding) the other ten columns of every row's creator.
  static override queryset = Survey.objects.only('title', 'status', 'creator__username').orderBy('id');
  static override serializerClass = SurveySerializer;
  static override permissionClasses = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly];

  /** Drafts are visible only to their creator; everyone sees published surveys. */
  override getQueryset(): QuerySet {
    const user = this.request.user;
    const queryset = super.getQueryset();
    if (!user.isAuthenticated) return queryset.where('status', '=', 'published');
    return queryset.where(Q('status', '=', 'published').or(Q('creator', '=', user.id)));
  }

  override performCreate(serializer: Serializer): Promise<unknown> {
    return serializer.save({ creator: this.request.user });
  }
}

export class ExampleView extends APIView {
  static override permissionClasses = [IsAuthenticated];

  get(request: Request): Response {
    return new Response({ user: String(request.user), auth: request.auth === null ? null : String(request.auth) });
  }
}

export const exampleView = apiView(['GET'], function exampleView(request) {
  return new Response({ user: String(request.user) });
}, { permissionClasses: [IsAuthenticated] });

export class ComposedView extends APIView {
  static override permissionClasses = [IsAuthenticated.or(ReadOnly)];

  get(): Response {
    return new Response('success!');
  }

  post(request: Request): Response {
    return new Response({ received: request.data });
  }
}

export class ScopedView extends APIView {
  static override permissionClasses = [AllowAny];
  static override throttleClasses = [ScopedRateThrottle];
  static override throttleScope = 'scoped';

  get(): Response {
    return new Response({ ok: true });
  }
}
