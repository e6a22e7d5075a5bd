/** The screen the URL hash names (so a reload stays there) and who may open it. */

/** The screens the URL hash names; anything else is the inbox. */
export type View = 'inbox' | 'sites' | 'users' | 'team';

export function viewOf(hash: string): View {
  if (hash === '#/settings/sites' || hash === '#/settings') return 'sites';
  if (hash === '#/settings/users') return 'users';
  if (hash === '#/team') return 'team';
  return 'inbox';
}

export const hashOf = (v: View): string =>
  v === 'sites' ? '#/settings/sites' : v === 'users' ? '#/settings/users' : v === 'team' ? '#/team' : '';

/** Who may open a screen: settings are the admins', the team the supervisors' and admins'. */
export function allowed(view: View, role: string | undefined): boolean {
  if (view === 'sites' || view === 'users') return role === 'admin';
  if (view === 'team') return role === 'admin' || role === 'supervisor';
  return true;
}
