import { ModelSerializer, ReadOnlyField } from '../../src/index.ts';
import { Life, Survey } from './models.ts';

export class LifeSerializer extends ModelSerializer {
  static override meta = { model: Life, fields: ['id', 'answer'] };
}

export class SurveySerializer extends ModelSerializer {
  static override meta = { model: Survey, fields: ['id', 'title', 'status', 'creator'] };
  static override declaredFields = { creator: new ReadOnlyField({ source: 'creator.username' }) };
}
