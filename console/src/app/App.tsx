import { Center, Loader } from '@mantine/core';
import type { QueryClient } from '@tanstack/react-query';
import { type ComponentType, lazy, Suspense, useEffect, useState, useSyncExternalStore } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { type LiveStatus, openLiveUpdates } from '../api/live.ts';
import { accessTokenNow, currentUser, onSessionChange, refreshTokens } from '../api/session.ts';
import { messages } from '../messages.ts';
import { SignInPage } from '../pages/SignInPage.tsx';
import { faceOf } from './roles.ts';
import { Shell } from './Shell.tsx';

// One chunk per face: a trainee's phone never downloads the admin's tables.
const AdminFace = lazy(() => import('../faces/admin/AdminFace.tsx'));
const InstructorFace = lazy(() => import('../faces/instructor/InstructorFace.tsx'));
const TraineeFace = lazy(() => import('../faces/trainee/TraineeFace.tsx'));
const NotificationsPage = lazy(() => import('../pages/NotificationsPage.tsx'));
const MyCertificatesPage = lazy(() => import('../pages/MyCertificatesPage.tsx'));
const ChangePasswordPage = lazy(() => import('../pages/ChangePasswordPage.tsx'));

const AcceptInvitationPage = lazy(() => import('../pages/AccountLinkPages.tsx').then((module) => ({ default: module.AcceptInvitationPage })));
const ResetPasswordPage = lazy(() => import('../pages/AccountLinkPages.tsx').then((module) => ({ default: module.ResetPasswordPage })));
const ForgotPasswordPage = lazy(() => import('../pages/AccountLinkPages.tsx').then((module) => ({ default: module.ForgotPasswordPage })));
/** The pages mailed links open (and the reset request), shown signed in or out. */
const accountLinkPages: Record<string, ComponentType> = { '/accept-invitation': AcceptInvitationPage, '/reset-password': ResetPasswordPage, '/forgot-password': ForgotPasswordPage };

const homeOf = { admin: '/sessions', instructor: '/teaching', trainee: '/catalogue' } as const;

function PageLoading() {
  return (
    <Center py="xl">
      <Loader role="status" aria-label={messages.common.loading} />
    </Center>
  );
}

/**
 * Signed out: the sign-in page at whatever URL was asked for, so signing in returns there. Signed in with
 * a stored refresh token but no access token yet (a reload): one silent refresh first.
 */
export function App({ queryClient }: { queryClient: QueryClient }) {
  const user = useSyncExternalStore(onSessionChange, () => localStorage.getItem('unitrain.user'));
  const signedIn = user !== null ? currentUser() : null;
  const [ready, setReady] = useState(() => signedIn === null || accessTokenNow() !== null);
  const [live, setLive] = useState<LiveStatus>({ connected: false, lastChangeAt: null });
  const AccountLinkPage = accountLinkPages[useLocation().pathname];

  useEffect(() => {
    if (ready) return;
    void refreshTokens().finally(() => setReady(true));
  }, [ready]);

  useEffect(() => {
    if (!signedIn || !ready) return;
    const close = openLiveUpdates(queryClient, setLive);
    return () => {
      close();
      queryClient.clear();
    };
  }, [signedIn?.id, ready, queryClient]);

  if (AccountLinkPage) {
    return (
      <Suspense fallback={<PageLoading />}>
        <AccountLinkPage />
      </Suspense>
    );
  }
  if (!ready) return <PageLoading />;
  if (!signedIn) return <SignInPage />;
  const face = faceOf(signedIn.role);
  return (
    <Shell user={signedIn} face={face} live={live}>
      <Suspense fallback={<PageLoading />}>
        <Routes>
          <Route path="/" element={<Navigate to={homeOf[face]} replace />} />
          <Route path="/sign-in" element={<Navigate to={homeOf[face]} replace />} />
          <Route path="/notifications" element={<NotificationsPage />} />
          <Route path="/my/certificates" element={<MyCertificatesPage />} />
          <Route path="/account/password" element={<ChangePasswordPage />} />
          <Route path="*" element={face === 'admin' ? <AdminFace /> : face === 'instructor' ? <InstructorFace user={signedIn} /> : <TraineeFace user={signedIn} />} />
        </Routes>
      </Suspense>
    </Shell>
  );
}
