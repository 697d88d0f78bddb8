/**
 * The user table as a model, so the app's models can point at users (`foreignKey(() => UserModel)`)
 * and query them. The table itself is created by the framework's migrations, not by this definition.
 */
import { defineModel, fields as m } from '../models/index.ts';

export const UserModel = defineModel(
  'user',
  {
    password: m.char({ maxLength: 256 }),
    last_login: m.dateTime({ null: true, blank: true }),
    is_superuser: m.boolean({ default: false }),
    username: m.char({ maxLength: 150, unique: true }),
    first_name: m.char({ maxLength: 150, blank: true, default: '' }),
    last_name: m.char({ maxLength: 150, blank: true, default: '' }),
    email: m.email({ blank: true, default: '' }),
    is_staff: m.boolean({ default: false }),
    is_active: m.boolean({ default: true }),
    date_joined: m.dateTime({ autoNowAdd: true }),
  },
  { table: 'auth_user' },
);
