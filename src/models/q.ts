/**
 * Conditions as data (Django's Q objects): comparisons combined with `and`, `or` and `not`. A
 * queryset filtered with them compiles its SQL once per shape and reuses it with each request's
 * values, where a `where(eb => ...)` callback, opaque to the framework, is compiled on every call.
 *
 *   Survey.objects.where(Q('status', '=', 'published').or(Q('creator', '=', user.id)))
 */
import type { ComparisonOperatorExpression } from 'kysely';

export type QNode =
  | { readonly kind: 'compare'; readonly column: string; readonly op: ComparisonOperatorExpression; readonly value: unknown }
  | { readonly kind: 'and' | 'or'; readonly children: readonly Q[] }
  | { readonly kind: 'not'; readonly child: Q };

export interface Q {
  readonly node: QNode;
  /** All of these and the others. */
  and(...others: Q[]): Q;
  /** Any of these or the others. */
  or(...others: Q[]): Q;
  /** Not this. */
  not(): Q;
}

class Condition implements Q {
  constructor(readonly node: QNode) {}

  and(...others: Q[]): Q {
    return new Condition({ kind: 'and', children: [this, ...others] });
  }

  or(...others: Q[]): Q {
    return new Condition({ kind: 'or', children: [this, ...others] });
  }

  not(): Q {
    return new Condition({ kind: 'not', child: this });
  }
}

/** A comparison of a model field (by name; a foreign key compares by the related row's id) with a value. */
export function Q(column: string, op: ComparisonOperatorExpression, value: unknown): Q {
  return new Condition({ kind: 'compare', column, op, value });
}

export function isQ(value: unknown): value is Q {
  return value instanceof Condition;
}
