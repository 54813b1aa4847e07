import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import request from 'supertest';

export interface AdminSession {
  email: string;
  password: string;
  token: string;
  auth: { Authorization: string };
}

/**
 * An admin user logged in through the real /admin/login route. `permissions` gives a custom role
 * with only those actions (plugin::invoice-payments.*); without it the user is a super admin.
 */
export async function adminSession(strapi: Core.Strapi, permissions?: string[]): Promise<AdminSession> {
  const email = `admin-${randomBytes(4).toString('hex')}@example.test`;
  const password = `Test-${randomBytes(6).toString('hex')}-1a`;
  const roleService = strapi.service('admin::role');
  let roleId: number;
  if (permissions) {
    const role = await roleService.create({ name: `role-${randomBytes(3).toString('hex')}`, description: 'test role' });
    await roleService.assignPermissions(
      role.id,
      permissions.map((action) => ({ action, subject: null, conditions: [], properties: {} })),
    );
    roleId = role.id;
  } else {
    const superAdmin =
      (await roleService.getSuperAdmin()) ??
      (await roleService.createRolesIfNoneExist(), await roleService.getSuperAdmin());
    roleId = superAdmin.id;
  }
  await strapi
    .service('admin::user')
    .create({ email, firstname: 'Test', lastname: 'Admin', password, isActive: true, roles: [roleId] });
  const res = await request(strapi.server.httpServer).post('/admin/login').send({ email, password });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
  const token = res.body.data.token as string;
  return { email, password, token, auth: { Authorization: `Bearer ${token}` } };
}

/** An admin user with one of Strapi's default roles ('strapi-editor', 'strapi-author'), logged in. */
export async function adminSessionWithRole(
  strapi: Core.Strapi,
  code: 'strapi-editor' | 'strapi-author',
): Promise<AdminSession> {
  await strapi.service('admin::role').createRolesIfNoneExist();
  const role = (await strapi.db.query('admin::role').findOne({ where: { code } })) as { id: number } | null;
  if (!role) throw new Error(`no admin role with code ${code}`);
  const email = `${code}-${randomBytes(4).toString('hex')}@example.test`;
  const password = `Test-${randomBytes(6).toString('hex')}-1a`;
  await strapi
    .service('admin::user')
    .create({ email, firstname: 'Test', lastname: code, password, isActive: true, roles: [role.id] });
  const res = await request(strapi.server.httpServer).post('/admin/login').send({ email, password });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
  const token = res.body.data.token as string;
  return { email, password, token, auth: { Authorization: `Bearer ${token}` } };
}
