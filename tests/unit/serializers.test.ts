import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { ImproperlyConfigured, ValidationError } from '../../src/exceptions.ts';
import { defineModel, fields as m, type RowOf } from '../../src/models/index.ts';
import {
  BooleanField,
  CharField,
  ChoiceField,
  DateTimeField,
  EmailField,
  FloatField,
  IntegerField,
  ModelSerializer,
  PrimaryKeyRelatedField,
  ReadOnlyField,
  Serializer,
  type Attrs,
  type Field,
} from '../../src/serializers/index.ts';
import { Field as FieldBase } from '../../src/serializers/field.ts';

const User = defineModel('user', {
  username: m.char({ maxLength: 150, unique: true }),
  email: m.email({ blank: true }),
  is_staff: m.boolean({ default: false }),
});
const Life = defineModel('life', { answer: m.integer({ default: 42 }) }, { ordering: ['id'] });
const Survey = defineModel('survey', {
  title: m.char({ maxLength: 200, unique: true }),
  status: m.char({ maxLength: 20, default: 'draft', choices: ['draft', 'published'] }),
  creator: m.foreignKey(() => User, { onDelete: 'cascade' }),
  created: m.dateTime({ autoNowAdd: true }),
});
const Note = defineModel('note', {
  body: m.text({ blank: true, helpText: 'Anything.' }),
  score: m.float({ null: true }),
  pinned: m.boolean({ null: true }),
  owner: m.foreignKey(() => User, { onDelete: 'setNull', null: true, verboseName: 'the owner' }),
  big: m.bigInteger({ default: 0 }),
});

class LifeSerializer extends ModelSerializer {
  static override meta = { model: Life, fields: ['id', 'answer'] };
}

class SurveySerializer extends ModelSerializer {
  static override meta = { model: Survey, fields: ['id', 'title', 'status', 'creator'] };
  static override declaredFields = { creator: new ReadOnlyField({ source: 'creator.username' }) };
}

class SurveyWriteSerializer extends ModelSerializer {
  static override meta = { model: Survey, fields: '__all__' as const };
}

class NoteSerializer extends ModelSerializer {
  static override meta = { model: Note, fields: '__all__' as const, readOnlyFields: ['big'] };
}

/** A one-field serializer around `field`, to test a field's messages. */
function only(field: Field) {
  return class extends Serializer {
    static override declaredFields = { f: field };
  };
}

async function errorsOf(field: Field, value: unknown, options: { formData?: boolean } = {}) {
  const S = only(field);
  const s = new S({ data: value === undefined ? {} : { f: value }, ...options });
  return (await s.isValid()) ? s.validatedData : s.errors;
}

async function valueOf(field: Field, value: unknown) {
  const S = only(field);
  const s = new S({ data: { f: value } });
  expect(await s.isValid()).toBe(true);
  return s.validatedData.f;
}

let db: Database;
let alice: RowOf<typeof User>;

beforeEach(async () => {
  db = openDatabase('sqlite::memory:');
  for (const model of [User, Life, Survey, Note]) await model.createTable(db);
  alice = await User.create(db, { username: 'alice' });
});

afterEach(async () => {
  await db.close();
});

describe('field messages', () => {
  it('required, null, blank', async () => {
    expect(await errorsOf(new CharField(), undefined)).toEqual({ f: ['This field is required.'] });
    expect(await errorsOf(new CharField(), null)).toEqual({ f: ['This field may not be null.'] });
    expect(await errorsOf(new CharField(), '')).toEqual({ f: ['This field may not be blank.'] });
    expect(await errorsOf(new CharField(), '   ')).toEqual({ f: ['This field may not be blank.'] });
    expect(await errorsOf(new CharField({ allowBlank: true }), '  ')).toEqual({ f: '' });
    expect(await errorsOf(new CharField({ allowNull: true }), null)).toEqual({ f: null });
    expect(await errorsOf(new CharField({ required: false }), undefined)).toEqual({});
    expect(await errorsOf(new CharField({ default: 'd' }), undefined)).toEqual({ f: 'd' });
  });

  it('CharField', async () => {
    expect(await errorsOf(new CharField(), true)).toEqual({ f: ['Not a valid string.'] });
    expect(await errorsOf(new CharField(), ['a'])).toEqual({ f: ['Not a valid string.'] });
    expect(await errorsOf(new CharField(), { a: 1 })).toEqual({ f: ['Not a valid string.'] });
    expect(await valueOf(new CharField(), 12)).toBe('12');
    expect(await valueOf(new CharField(), 1.5)).toBe('1.5');
    expect(await valueOf(new CharField(), '  x  ')).toBe('x');
    expect(await valueOf(new CharField({ trimWhitespace: false }), ' x ')).toBe(' x ');
    expect(await errorsOf(new CharField({ maxLength: 3 }), 'abcd')).toEqual({
      f: ['Ensure this field has no more than 3 characters.'],
    });
    expect(await valueOf(new CharField({ maxLength: 3 }), '😀😀😀')).toBe('😀😀😀');
    expect(await errorsOf(new CharField({ minLength: 2 }), 'a')).toEqual({
      f: ['Ensure this field has at least 2 characters.'],
    });
    expect(await errorsOf(new CharField(), 'a\0b')).toEqual({ f: ['Null characters are not allowed.'] });
    expect(await errorsOf(new CharField(), 'a\ud800')).toEqual({ f: ['Surrogate characters are not allowed: U+D800.'] });
    expect(await errorsOf(new CharField({ maxLength: 1 }), 'ab\0')).toEqual({
      f: ['Ensure this field has no more than 1 characters.', 'Null characters are not allowed.'],
    });
  });

  it('IntegerField', async () => {
    for (const good of [3, 3.0, '12', '12.0', ' 7 ', '-4', '1_000', '5.']) {
      expect(typeof (await valueOf(new IntegerField(), good))).toBe('number');
    }
    expect(await valueOf(new IntegerField(), '12.0')).toBe(12);
    expect(await valueOf(new IntegerField(), '1_000')).toBe(1000);
    for (const bad of [true, false, 'forty-two', 1.5, '1.5', '', 'abc', [], [1], {}, { a: 1 }, '1e3', '0x10']) {
      const errors = await errorsOf(new IntegerField(), bad);
      expect(errors, String(bad)).toEqual({ f: [bad === '' ? 'A valid integer is required.' : 'A valid integer is required.'] });
    }
    const ranged = new IntegerField({ minValue: -2147483648, maxValue: 2147483647 });
    expect(await errorsOf(ranged, 2147483648)).toEqual({ f: ['Ensure this value is less than or equal to 2147483647.'] });
    expect(await errorsOf(ranged, '-99999999999999999999999')).toEqual({
      f: ['Ensure this value is greater than or equal to -2147483648.'],
    });
    expect(await errorsOf(ranged, 1e300)).toEqual({ f: ['Ensure this value is less than or equal to 2147483647.'] });
    expect(await errorsOf(ranged, '9'.repeat(1000))).toEqual({ f: ['Ensure this value is less than or equal to 2147483647.'] });
    expect(await errorsOf(ranged, '9'.repeat(1001))).toEqual({ f: ['String value too large.'] });
  });

  it('FloatField', async () => {
    expect(await valueOf(new FloatField(), '1.5')).toBe(1.5);
    expect(await valueOf(new FloatField(), ' 2e3 ')).toBe(2000);
    expect(await valueOf(new FloatField(), 7)).toBe(7);
    expect(await valueOf(new FloatField(), true)).toBe(1);
    for (const bad of ['x', '', [], {}, 'nan', 'inf', '1e999']) {
      expect(await errorsOf(new FloatField(), bad)).toEqual({ f: ['A valid number is required.'] });
    }
    expect(await errorsOf(new FloatField({ maxValue: 1.5 }), 2)).toEqual({
      f: ['Ensure this value is less than or equal to 1.5.'],
    });
    expect(await errorsOf(new FloatField(), '1'.repeat(1001))).toEqual({ f: ['String value too large.'] });
  });

  it('BooleanField', async () => {
    for (const t of [true, 'true', 'True', 'TRUE', '1', 1, 'on', 'yes', 'Yes', 'y', 't']) {
      expect(await valueOf(new BooleanField(), t)).toBe(true);
    }
    for (const f of [false, 'false', 'False', '0', 0, 'off', 'no', 'n', 'f']) {
      expect(await valueOf(new BooleanField(), f)).toBe(false);
    }
    for (const bad of [2, 'maybe', '', 'null', [], {}, [true]]) {
      expect(await errorsOf(new BooleanField(), bad)).toEqual({ f: ['Must be a valid boolean.'] });
    }
    expect(await valueOf(new BooleanField({ allowNull: true }), 'null')).toBeNull();
  });

  it('ChoiceField', async () => {
    const field = () => new ChoiceField({ choices: ['draft', 'published'] });
    expect(await valueOf(field(), 'draft')).toBe('draft');
    expect(await errorsOf(field(), 'archived')).toEqual({ f: ['"archived" is not a valid choice.'] });
    expect(await errorsOf(field(), '')).toEqual({ f: ['"" is not a valid choice.'] });
    expect(await errorsOf(field(), ['draft'])).toEqual({ f: [`"['draft']" is not a valid choice.`] });
    expect(await errorsOf(field(), { a: true, b: null })).toEqual({ f: [`"{'a': True, 'b': None}" is not a valid choice.`] });
    expect(await errorsOf(field(), 1.5)).toEqual({ f: ['"1.5" is not a valid choice.'] });
    expect(await valueOf(new ChoiceField({ choices: [1, 2] }), '2')).toBe(2);
    expect(await valueOf(new ChoiceField({ choices: ['1'] }), 1)).toBe('1');
  });

  it('DateTimeField', async () => {
    const wrong = {
      f: ['Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'],
    };
    for (const bad of ['yesterday', '2024-13-01T00:00', '2023-02-29T10:00', '2024-01-01', 5, [], '2024-01-01T10:00+24:00']) {
      expect(await errorsOf(new DateTimeField(), bad)).toEqual(wrong);
    }
    expect(await valueOf(new DateTimeField(), '2024-02-29T10:00')).toEqual(new Date('2024-02-29T10:00:00Z'));
    expect(await valueOf(new DateTimeField(), '2024-01-01 10:00:30.5+02:00')).toEqual(new Date('2024-01-01T08:00:30.500Z'));
    expect(await valueOf(new DateTimeField(), '0099-01-01T00:00Z')).toEqual(new Date('0099-01-01T00:00:00Z'));
    expect(await errorsOf(new DateTimeField(), '0001-01-01T00:00+01:00')).toEqual({ f: ['Datetime value out of range.'] });
    const field = new DateTimeField().bind('f');
    expect(field.toRepresentation(new Date('2024-01-01T10:00:00Z'))).toBe('2024-01-01T10:00:00Z');
    expect(field.toRepresentation(new Date('2024-01-01T10:00:00.120Z'))).toBe('2024-01-01T10:00:00.120000Z');
  });

  it('EmailField', async () => {
    expect(await valueOf(new EmailField(), ' a.b+c@example.co.uk ')).toBe('a.b+c@example.co.uk');
    expect(await valueOf(new EmailField(), 'me@localhost')).toBe('me@localhost');
    expect(await valueOf(new EmailField(), 'me@[127.0.0.1]')).toBe('me@[127.0.0.1]');
    expect(await valueOf(new EmailField(), 'me@bücher.de')).toBe('me@bücher.de');
    for (const bad of ['nope', 'a@b', 'a@-x.com', 'a b@example.com', `${'a'.repeat(310)}@example.com`, [], 5]) {
      expect(await errorsOf(new EmailField(), bad)).toEqual({ f: ['Enter a valid email address.'] });
    }
  });

  it('PrimaryKeyRelatedField looks the key up through context.db', async () => {
    const S = only(new PrimaryKeyRelatedField({ model: User }));
    const check = async (value: unknown) => {
      const s = new S({ data: { f: value }, context: { db } });
      return (await s.isValid()) ? s.validatedData.f : s.errors;
    };
    expect(await check(alice.id)).toEqual(alice);
    expect(await check(String(alice.id))).toEqual(alice);
    expect(await check(99)).toEqual({ f: ['Invalid pk "99" - object does not exist.'] });
    expect(await check('99999999999999999999')).toEqual({ f: ['Invalid pk "99999999999999999999" - object does not exist.'] });
    expect(await check('abc')).toEqual({ f: ['Incorrect type. Expected pk value, received str.'] });
    expect(await check('1.5')).toEqual({ f: ['Incorrect type. Expected pk value, received str.'] });
    expect(await check(true)).toEqual({ f: ['Incorrect type. Expected pk value, received bool.'] });
    expect(await check([1])).toEqual({ f: ['Incorrect type. Expected pk value, received list.'] });
    expect(await check({ id: 1 })).toEqual({ f: ['Incorrect type. Expected pk value, received dict.'] });
    const filtered = only(new PrimaryKeyRelatedField({ queryset: User.objects.where('is_staff', '=', true) }));
    const s = new filtered({ data: { f: alice.id }, context: { db } });
    expect(await s.isValid()).toBe(false);
    expect(() => new PrimaryKeyRelatedField()).toThrow(ImproperlyConfigured);
  });

  it('runs custom validators and collects their messages', async () => {
    const even = (value: unknown) => {
      if ((value as number) % 2) throw new ValidationError('Must be even.');
    };
    const positive = async (value: unknown) => {
      if ((value as number) <= 0) throw new ValidationError(['Must be positive.']);
    };
    expect(await errorsOf(new IntegerField({ validators: [even, positive] }), -3)).toEqual({
      f: ['Must be even.', 'Must be positive.'],
    });
    expect(await valueOf(new IntegerField({ validators: [even, positive] }), 4)).toBe(4);
  });
});

describe('Serializer', () => {
  class Signup extends Serializer {
    static override declaredFields = {
      username: new CharField({ maxLength: 10 }),
      password: new CharField({ writeOnly: true, trimWhitespace: false }),
      age: new IntegerField({ required: false, allowNull: true }),
      newsletter: new BooleanField({ required: false }),
      token: new CharField({ readOnly: true }),
    };

    override validate(attrs: Attrs): Attrs {
      if (attrs.username === attrs.password) throw new ValidationError('Password too similar.');
      return attrs;
    }
  }

  it('collects field errors, then object-level errors under non_field_errors', async () => {
    const s = new Signup({ data: { username: 'x'.repeat(11), extra: 1 } });
    expect(await s.isValid()).toBe(false);
    expect(s.errors).toEqual({
      username: ['Ensure this field has no more than 10 characters.'],
      password: ['This field is required.'],
    });
    const same = new Signup({ data: { username: 'bob', password: 'bob' } });
    expect(await same.isValid()).toBe(false);
    expect(same.errors).toEqual({ non_field_errors: ['Password too similar.'] });
    await expect(same.isValid({ raiseException: true })).rejects.toMatchObject({
      status: 400,
      detail: { non_field_errors: ['Password too similar.'] },
    });
  });

  it('validates fields that answer later in order with the others, and an asynchronous validate; isValid is always a promise', async () => {
    /** Valid only as "ok", after a turn of the event loop (as a lookup would). */
    class LaterField extends FieldBase<string> {
      readonly type = 'string';
      async toInternalValue(data: unknown): Promise<string> {
        await new Promise((resolve) => setImmediate(resolve));
        if (data !== 'ok') throw new ValidationError('Not ok.');
        return 'ok';
      }
      toRepresentation(value: unknown): unknown {
        return value;
      }
    }
    class Mixed extends Serializer {
      static override declaredFields = {
        first: new CharField({ maxLength: 2 }),
        later: new LaterField(),
        last: new IntegerField(),
        again: new LaterField({ required: false }),
      };

      override async validate(attrs: Attrs): Promise<Attrs> {
        await new Promise((resolve) => setImmediate(resolve));
        if (attrs.first === 'no') throw new ValidationError('Refused.');
        return { ...attrs, checked: true };
      }
    }
    const invalid = new Mixed({ data: { first: 'long', later: 'bad', last: 'x', again: 'bad' } });
    const verdict = invalid.isValid();
    expect(verdict).toBeInstanceOf(Promise);
    expect(await verdict).toBe(false);
    expect(Object.entries(invalid.errors)).toEqual([
      ['first', ['Ensure this field has no more than 2 characters.']],
      ['later', ['Not ok.']],
      ['last', ['A valid integer is required.']],
      ['again', ['Not ok.']],
    ]);
    const valid = new Mixed({ data: { first: 'a', later: 'ok', last: '3' } });
    expect(await valid.isValid()).toBe(true);
    expect(valid.validatedData).toEqual({ first: 'a', later: 'ok', last: 3, checked: true });
    const refused = new Mixed({ data: { first: 'no', later: 'ok', last: 1 } });
    await expect(refused.isValid({ raiseException: true })).rejects.toMatchObject({ status: 400, detail: { non_field_errors: ['Refused.'] } });
    const synchronous = new Signup({ data: { username: 'ann', password: 'pw' } });
    const promised = synchronous.isValid();
    expect(promised).toBeInstanceOf(Promise);
    expect(await promised).toBe(true);
  });

  it('ignores unknown keys and read-only fields; representation omits write-only fields', async () => {
    const s = new Signup({ data: { username: 'bob', password: ' pw ', token: 'x', nope: true } });
    expect(await s.isValid()).toBe(true);
    expect(s.validatedData).toEqual({ username: 'bob', password: ' pw ' });
    // Absent attributes: null when nullable, left out when not required (DRF's get_attribute).
    expect(s.data).toEqual({ username: 'bob', age: null });
  });

  it('rejects bodies that are not objects with DRF’s messages', async () => {
    const cases: [unknown, string][] = [
      [[], 'list'],
      ['x', 'str'],
      [1, 'int'],
      [1.5, 'float'],
      [true, 'bool'],
    ];
    for (const [body, type] of cases) {
      const s = new Signup({ data: body });
      expect(await s.isValid()).toBe(false);
      expect(s.errors).toEqual({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${type}.`] });
    }
    const none = new Signup({ data: null });
    expect(await none.isValid()).toBe(false);
    expect(none.errors).toEqual({ non_field_errors: ['No data provided'] });
  });

  it('reads HTML form data as DRF does', async () => {
    const form = (data: Record<string, string | string[]>, partial = false) =>
      new Signup({ data, formData: true, partial });
    const s = form({ username: 'bob', password: 'pw', age: '5' });
    expect(await s.isValid()).toBe(true);
    expect(s.validatedData).toEqual({ username: 'bob', password: 'pw', age: 5, newsletter: false });
    const blank = form({ username: ['first', 'bob'], password: 'pw', age: '', newsletter: 'on' });
    expect(await blank.isValid()).toBe(true);
    expect(blank.validatedData).toEqual({ username: 'bob', password: 'pw', age: null, newsletter: true });
    const partial = form({ username: 'bob' }, true);
    expect(await partial.isValid()).toBe(true);
    expect(partial.validatedData).toEqual({ username: 'bob' });
    const json = new Signup({ data: { username: 'bob', password: 'pw' } });
    expect(await json.isValid()).toBe(true);
    expect(json.validatedData).toEqual({ username: 'bob', password: 'pw' });
    const invalid = form({ username: '', password: 'pw' });
    expect(await invalid.isValid()).toBe(false);
    expect(invalid.data).toEqual({ username: '', password: 'pw', newsletter: false });
  });

  it('takes the form flag from the request', () => {
    const request = { isFormData: true } as never;
    expect(new Signup({ data: {}, context: { request } }).formData).toBe(true);
  });

  it('reads the form flag only for input: representing an instance does not parse the request', () => {
    const request = {
      get isFormData(): boolean {
        throw new Error('read isFormData');
      },
    } as never;
    const s = new Signup({ instance: { username: 'bob', password: 'pw', newsletter: true }, context: { request } });
    expect(s.formData).toBe(false);
    expect(s.data).toEqual({ username: 'bob', age: null, newsletter: true });
  });

  it('skips absent fields on partial validation', async () => {
    const s = new Signup({ data: { password: 'new' }, partial: true });
    expect(await s.isValid()).toBe(true);
    expect(s.validatedData).toEqual({ password: 'new' });
  });

  it('represents dotted sources, null intermediates and many instances', () => {
    class Row extends Serializer {
      static override declaredFields = {
        id: new IntegerField({ readOnly: true }),
        owner: new ReadOnlyField({ source: 'owner.name' }),
        when: new DateTimeField({ readOnly: true }),
      };
    }
    const rows = [
      { id: 1, owner: { name: 'ann' }, when: new Date('2024-05-01T12:00:00Z') },
      { id: 2, owner: null, when: null },
    ];
    expect(Row.many(rows)).toEqual([
      { id: 1, owner: 'ann', when: '2024-05-01T12:00:00Z' },
      { id: 2, owner: null, when: null },
    ]);
    expect(new Row({ instance: rows, many: true }).data).toEqual(Row.many(rows));
    expect(new Row({ instance: rows[0] }).data).toEqual({ id: 1, owner: 'ann', when: '2024-05-01T12:00:00Z' });
  });

  it('leaves out a skipped field, keeps the order of the others and reads each field once', () => {
    const reads: string[] = [];
    class Counted extends ReadOnlyField {
      override getAttribute(instance: unknown): unknown {
        reads.push(this.fieldName);
        return super.getAttribute(instance);
      }
    }
    class Row extends Serializer {
      static override declaredFields = {
        first: new Counted(),
        nickname: new CharField({ required: false }),
        last: new Counted(),
      };
    }
    const data = new Row({ instance: { first: 'a', last: 'z' } }).data as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(['first', 'last']);
    expect(reads).toEqual(['first', 'last']);
    expect(new Row({ instance: { first: 'a', nickname: 'n', last: 'z' } }).data).toEqual({ first: 'a', nickname: 'n', last: 'z' });
  });

  it('shares bound fields across instances', () => {
    expect(new Signup().fields).toBe(new Signup().fields);
    expect(Signup.fieldMap().username!.label).toBe('Username');
  });

  it('never throws anything but ValidationError for any JSON value', async () => {
    const garbage: unknown[] = [null, true, 0, -1.5, '', 'x', [], [null], {}, { a: [1, { b: null }] }, [[[]]], 1e308, '1'.repeat(5000)];
    const all = class extends Serializer {
      static override declaredFields = {
        c: new CharField(),
        e: new EmailField(),
        i: new IntegerField({ maxValue: 10 }),
        f: new FloatField(),
        b: new BooleanField(),
        ch: new ChoiceField({ choices: ['a'] }),
        d: new DateTimeField(),
        p: new PrimaryKeyRelatedField({ model: User }),
      };
    };
    for (const value of garbage) {
      const data = Object.fromEntries(Object.keys(all.fieldMap()).map((k) => [k, value]));
      for (const body of [data, value]) {
        const s = new all({ data: body, context: { db } });
        expect(await s.isValid()).toBe(false);
        await expect(s.isValid({ raiseException: true })).rejects.toBeInstanceOf(ValidationError);
      }
    }
  });
});

describe('ModelSerializer', () => {
  it('derives Life’s fields and OPTIONS metadata as DRF does', () => {
    expect(LifeSerializer.fieldInfo()).toEqual({
      id: { type: 'integer', required: false, read_only: true, label: 'ID' },
      answer: {
        type: 'integer',
        required: false,
        read_only: false,
        label: 'Answer',
        min_value: -2147483648,
        max_value: 2147483647,
      },
    });
    expect(Object.keys(LifeSerializer.fieldInfo().answer!)).toEqual([
      'type',
      'required',
      'read_only',
      'label',
      'min_value',
      'max_value',
    ]);
  });

  it('derives choices, lengths, relations, nullability and read-only fields', () => {
    expect(SurveyWriteSerializer.fieldInfo()).toEqual({
      id: { type: 'integer', required: false, read_only: true, label: 'ID' },
      title: { type: 'string', required: true, read_only: false, label: 'Title', max_length: 200 },
      status: {
        type: 'choice',
        required: false,
        read_only: false,
        label: 'Status',
        choices: [
          { value: 'draft', display_name: 'draft' },
          { value: 'published', display_name: 'published' },
        ],
      },
      created: { type: 'datetime', required: false, read_only: true, label: 'Created' },
      creator: { type: 'field', required: true, read_only: false, label: 'Creator' },
    });
    expect(SurveySerializer.fieldInfo().creator).toEqual({ type: 'field', required: false, read_only: true, label: 'Creator' });
    const note = NoteSerializer.fieldInfo();
    expect(note.body).toEqual({ type: 'string', required: false, read_only: false, label: 'Body', help_text: 'Anything.' });
    expect(note.owner).toEqual({ type: 'field', required: false, read_only: false, label: 'The owner' });
    expect(note.big).toEqual({ type: 'integer', required: false, read_only: true, label: 'Big' });
    expect(note.score!.type).toBe('float');
    expect(note.pinned!.type).toBe('boolean');
    const fields = NoteSerializer.fieldMap();
    expect(fields.score!.allowNull).toBe(true);
    expect((fields.body as CharField).allowBlank).toBe(true);
    class UserSerializer extends ModelSerializer {
      static override meta = { model: User, fields: '__all__' as const };
    }
    expect(UserSerializer.fieldInfo().email).toEqual({ type: 'email', required: false, read_only: false, label: 'Email', max_length: 254 });
  });

  it('produces JSON Schemas from the same metadata', () => {
    expect(LifeSerializer.toJsonSchema('read')).toEqual({
      type: 'object',
      properties: {
        id: { type: 'integer', title: 'ID', readOnly: true },
        answer: { type: 'integer', title: 'Answer', minimum: -2147483648, maximum: 2147483647 },
      },
      required: ['id', 'answer'],
    });
    expect(SurveyWriteSerializer.toJsonSchema('write')).toEqual({
      type: 'object',
      properties: {
        title: { type: 'string', title: 'Title', minLength: 1, maxLength: 200 },
        status: { enum: ['draft', 'published'], title: 'Status' },
        creator: { type: 'integer', title: 'Creator' },
      },
      required: ['title', 'creator'],
    });
    expect(NoteSerializer.toJsonSchema('write').properties).toMatchObject({
      score: { type: ['number', 'null'] },
      pinned: { type: ['boolean', 'null'] },
    });
  });

  it('rejects a bad meta on first use, naming the serializer and field', () => {
    class Unknown extends ModelSerializer {
      static override meta = { model: Life, fields: ['id', 'question'] };
    }
    expect(() => new Unknown()).toThrow(ImproperlyConfigured);
    expect(() => Unknown.fieldMap()).toThrow('Field name `question` is not valid for model `life` in `Unknown`.');
    class Forgotten extends ModelSerializer {
      static override meta = { model: Life, fields: ['id'] };
      static override declaredFields = { extra: new CharField() };
    }
    expect(() => Forgotten.fieldMap()).toThrow(
      "The field 'extra' was declared on serializer Forgotten, but has not been included in the 'fields' option.",
    );
    class NoModel extends ModelSerializer {}
    expect(() => NoModel.fieldMap()).toThrow('Class NoModel missing "meta.model" attribute.');
  });

  it('creates through the model, then represents the saved row', async () => {
    const s = new LifeSerializer({ data: {}, context: { db } });
    expect(await s.isValid()).toBe(true);
    const row = await s.save();
    expect(row).toEqual({ id: 1, answer: 42 });
    expect(s.data).toEqual({ id: 1, answer: 42 });
    const given = new LifeSerializer({ data: { answer: '7', id: 99 }, context: { db } });
    expect(await given.isValid()).toBe(true);
    await given.save();
    expect(given.data).toEqual({ id: 2, answer: 7 });
  });

  it('rejects null and out-of-range integers on PUT without reaching the database', async () => {
    const life = await Life.create(db, {});
    for (const [answer, message] of [
      [null, 'This field may not be null.'],
      [2 ** 31, 'Ensure this value is less than or equal to 2147483647.'],
      ['-99999999999999999999', 'Ensure this value is greater than or equal to -2147483648.'],
      [true, 'A valid integer is required.'],
      [{ nested: [1] }, 'A valid integer is required.'],
    ] as const) {
      const s = new LifeSerializer({ instance: life, data: { answer }, context: { db } });
      expect(await s.isValid()).toBe(false);
      expect(s.errors).toEqual({ answer: [message] });
    }
  });

  it('saves with extra values and represents through a dotted source', async () => {
    const s = new SurveySerializer({ data: { title: 'Q', creator: 'mallory' }, context: { db } });
    expect(await s.isValid()).toBe(true);
    expect(s.validatedData).toEqual({ title: 'Q' });
    await s.save({ creator: alice });
    expect(s.data).toEqual({ id: 1, title: 'Q', status: 'draft', creator: 'alice' });
  });

  it('partially updates; read-only input changes nothing; loaded relations carry over', async () => {
    await Survey.create(db, { title: 'Q', creator: alice });
    const instance = (await Survey.objects.selectRelated('creator').get(db, 1))!;
    const s = new SurveySerializer({ instance, data: { creator: 'bob', status: 'published' }, partial: true, context: { db } });
    expect(await s.isValid()).toBe(true);
    await s.save();
    expect(s.data).toEqual({ id: 1, title: 'Q', status: 'published', creator: 'alice' });
    expect((await Survey.objects.get(db, 1))!.creator_id).toBe(alice.id);
  });

  it('checks uniqueness with DRF’s message, ignoring the instance itself', async () => {
    const first = await Survey.create(db, { title: 'Taken', creator: alice });
    const duplicate = new SurveyWriteSerializer({ data: { title: 'Taken', creator: alice.id }, context: { db } });
    expect(await duplicate.isValid()).toBe(false);
    expect(duplicate.errors).toEqual({ title: ['survey with this title already exists.'] });
    const same = new SurveyWriteSerializer({ instance: first, data: { title: 'Taken', creator: alice.id }, context: { db } });
    expect(await same.isValid()).toBe(true);
    await same.save();
    expect(same.data).toMatchObject({ id: first.id, title: 'Taken', creator: alice.id });
  });

  it('writes foreign keys by primary key and represents them as keys', async () => {
    const s = new SurveyWriteSerializer({ data: { title: 'A', creator: String(alice.id), status: 'published' }, context: { db } });
    expect(await s.isValid()).toBe(true);
    await s.save();
    const data = s.data as Record<string, unknown>;
    expect(data).toMatchObject({ id: 1, title: 'A', status: 'published', creator: alice.id });
    expect(data.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/);
    const missing = new SurveyWriteSerializer({ data: { title: 'B', creator: 42 }, context: { db } });
    expect(await missing.isValid()).toBe(false);
    expect(missing.errors).toEqual({ creator: ['Invalid pk "42" - object does not exist.'] });
    const note = new NoteSerializer({ data: { owner: null, score: '2.5', pinned: null }, context: { db } });
    expect(await note.isValid()).toBe(true);
    await note.save();
    expect(note.data).toEqual({ id: 1, body: '', score: 2.5, pinned: null, big: 0, owner: null });
  });

  it('lists rows with many', async () => {
    await Life.create(db, { answer: 1 });
    await Life.create(db, { answer: 2 });
    const rows = await Life.objects.all(db);
    expect(LifeSerializer.many(rows)).toEqual([
      { id: 1, answer: 1 },
      { id: 2, answer: 2 },
    ]);
    expect(new LifeSerializer({ instance: rows, many: true }).data).toEqual(LifeSerializer.many(rows));
  });

  it('guards save() misuse as DRF does', async () => {
    const s = new LifeSerializer({ data: { answer: 'x' }, context: { db } });
    await expect(s.save()).rejects.toThrow('You must call `.isValid()` before calling `.save()`.');
    await s.isValid();
    await expect(s.save()).rejects.toThrow('You cannot call `.save()` on a serializer with invalid data.');
    expect(s.data).toEqual({ answer: 'x' });
  });
});
