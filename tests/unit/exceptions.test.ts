import { describe, expect, it } from 'vitest';
import { APIException, NotAuthenticated, PermissionDenied, ValidationError } from '../../src/exceptions.ts';

class Teapot extends APIException {
  static override status = 418;
  static override defaultDetail = 'I am a teapot.';
  static override defaultCode = 'teapot';
}

describe('APIException', () => {
  it('is an Error to instanceof, loggers and String(), without recording a stack', () => {
    const error = new PermissionDenied('Only editors may publish.', 'not_editor');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(APIException);
    expect(error).toMatchObject({ name: 'PermissionDenied', message: 'Only editors may publish.', status: 403, code: 'not_editor' });
    expect(String(error)).toBe('PermissionDenied: Only editors may publish.');
    expect(error.stack).toBeUndefined();
    expect(() => {
      throw new NotAuthenticated();
    }).toThrow(/^Authentication credentials were not provided\.$/);
  });

  it('subclasses take their status, default message and code, and structured details', () => {
    expect(new Teapot()).toMatchObject({ name: 'Teapot', status: 418, detail: 'I am a teapot.', code: 'teapot' });
    expect(new Teapot().body()).toEqual({ detail: 'I am a teapot.' });
    const invalid = new ValidationError({ title: ['This field is required.'] });
    expect(invalid.body()).toEqual({ title: ['This field is required.'] });
    expect(invalid.message).toBe('{"title":["This field is required."]}');
    expect(new ValidationError('Bad.').detail).toEqual(['Bad.']);
  });
});
