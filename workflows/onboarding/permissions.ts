import type { ItemActionRequest, ItemDefinition, ItemStatus } from './definitions';

/**
 * Who may do what to a checklist item (the staff roles are lib/access.ts's Role):
 * - ADMIN and ONBOARDING_MANAGER complete any human item; a TECHNICIAN completes items a
 *   technician owns; the client (by email) answers only client-owned items;
 * - skipping needs a reason: an optional item can be skipped by a manager, a required one only
 *   by an administrator (skipping it opens the gates that wait for it);
 * - reopening needs a reason and a manager or an administrator;
 * - automated items are done by the workflow: nobody completes, skips or reopens them by hand.
 * Returns the refusal, or null when allowed.
 */
export function permissionProblem(req: ItemActionRequest, item: ItemDefinition): string | null {
  const manager = req.role === 'ADMIN' || req.role === 'ONBOARDING_MANAGER' || req.role === 'system';
  if (item.automation) return `"${item.title}" is automated: the onboarding does it by itself`;
  switch (req.action) {
    case 'complete':
      if (manager) return null;
      if (req.role === 'TECHNICIAN' && item.owner === 'technician') return null;
      if (req.role === 'client' && item.owner === 'client') return null;
      return `a ${roleName(req.role)} cannot complete "${item.title}" (owner: ${item.owner}); ask an onboarding manager`;
    case 'skip':
      if (!req.reason?.trim()) return 'skipping an item needs a reason';
      if (item.required && req.role !== 'ADMIN' && req.role !== 'system') return `"${item.title}" is required: only an administrator can skip it`;
      if (!manager) return `a ${roleName(req.role)} cannot skip items; ask an onboarding manager`;
      return null;
    case 'reopen':
      if (!req.reason?.trim()) return 'reopening an item needs a reason';
      if (!manager) return `a ${roleName(req.role)} cannot reopen items; ask an onboarding manager`;
      return null;
  }
}

export function statusProblem(req: ItemActionRequest, item: ItemDefinition, status: ItemStatus): string | null {
  if (req.action === 'reopen' && status === 'OPEN') return `"${item.title}" is already open`;
  if (req.action !== 'reopen' && status !== 'OPEN') return `"${item.title}" is already ${status === 'DONE' ? 'done' : 'skipped'}; reopen it first`;
  return null;
}

function roleName(role: ItemActionRequest['role']): string {
  return role.toLowerCase().replace('_', ' ');
}
