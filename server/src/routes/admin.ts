import { actionUid, ACTIONS } from '../utils/permissions';

const guard = (...actions: string[]) => [{ name: 'admin::hasPermissions', config: { actions: actions.map(actionUid) } }];

export default {
  type: 'admin',
  routes: [
    { method: 'GET', path: '/settings', handler: 'settings.get', config: { policies: guard(ACTIONS.settingsRead) } },
    { method: 'PUT', path: '/settings', handler: 'settings.update', config: { policies: guard(ACTIONS.settingsUpdate) } },
    { method: 'POST', path: '/settings/test-connection', handler: 'settings.testConnection', config: { policies: guard(ACTIONS.settingsRead) } },
    { method: 'POST', path: '/settings/disconnect', handler: 'settings.disconnect', config: { policies: guard(ACTIONS.settingsUpdate) } },
  ],
};
