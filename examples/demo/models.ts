import { defineModel, fields as m, UserModel } from '../../src/index.ts';

/** The seed's single-field model. */
export const Life = defineModel('life', { answer: m.integer({ default: 42 }) }, { ordering: ['id'] });

/** A model with an owner, for object-level permissions (IsCreatorOrReadOnly). */
export const Survey = defineModel(
  'survey',
  {
    title: m.char({ maxLength: 200 }),
    status: m.char({ maxLength: 20, default: 'draft', choices: ['draft', 'published'] }),
    creator: m.foreignKey(() => UserModel, { onDelete: 'cascade', relatedName: 'surveys' }),
  },
  { ordering: ['id'] },
);
