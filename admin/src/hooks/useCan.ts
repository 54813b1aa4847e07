import { useRBAC } from '@strapi/strapi/admin';

type Permissions = Array<{ action: string; subject: string | null }>;

/**
 * One permission check. `useRBAC` names its answers after the last segment of the action
 * (`settings.read` and `webhooks.read` are both `canRead`), so checks are made one at a time.
 */
export function useCan(permissions: Permissions): { allowed: boolean; isLoading: boolean } {
  const { allowedActions, isLoading } = useRBAC(permissions);
  return { allowed: !isLoading && Object.values(allowedActions).some(Boolean), isLoading };
}
