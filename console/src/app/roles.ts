import type { Role } from '../api/session.ts';
import { messages } from '../messages.ts';

/** Which face of the console a role sees (the access matrix decides what each can do within it). */
export type Face = 'admin' | 'instructor' | 'trainee';

export function faceOf(role: Role): Face {
  if (role === 'SA' || role === 'AD' || role === 'AP') return 'admin';
  if (role === 'IC' || role === 'IP') return 'instructor';
  return 'trainee';
}

/** The roles the audit log answers (the access matrix); the console offers it, and a session's activity, to no one else. */
export const auditReaders: Role[] = ['SA', 'AD'];

export interface NavItem {
  to: string;
  label: string;
  /** Only these roles see the item (the API refuses the others anyway). */
  roles?: Role[];
}

export const navigation: Record<Face, NavItem[]> = {
  admin: [
    { to: '/dashboard', label: messages.nav.dashboard },
    { to: '/calendar', label: messages.nav.calendar },
    { to: '/sessions', label: messages.nav.sessions },
    { to: '/courses', label: messages.nav.courses },
    { to: '/schedules', label: messages.nav.schedules },
    { to: '/rosters', label: messages.nav.rosters },
    { to: '/certificates', label: messages.nav.certificates },
    { to: '/people', label: messages.nav.people },
    { to: '/audit', label: messages.nav.audit, roles: auditReaders },
    { to: '/jobs', label: messages.nav.jobs, roles: ['SA', 'AD'] },
    { to: '/notifications', label: messages.nav.notifications },
  ],
  instructor: [
    { to: '/teaching', label: messages.nav.mySessions },
    { to: '/my/certificates', label: messages.nav.myCertificates },
    { to: '/notifications', label: messages.nav.notifications },
  ],
  trainee: [
    { to: '/catalogue', label: messages.nav.catalogue },
    { to: '/my/schedule', label: messages.nav.mySchedule },
    { to: '/my/certificates', label: messages.nav.myCertificates },
    { to: '/notifications', label: messages.nav.notifications },
  ],
};
