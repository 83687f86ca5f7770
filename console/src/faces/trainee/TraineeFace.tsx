import { Route, Routes } from 'react-router';
import type { SignedInUser } from '../../api/session.ts';
import { NotFound } from '../../ui/NotFound.tsx';
import { CataloguePage } from './CataloguePage.tsx';
import { CourseSessionsPage } from './CourseSessionsPage.tsx';
import { MySchedulePage } from './MySchedulePage.tsx';

/** IT and IN, on a phone first: find a session, take a place, see where they stand. */
export default function TraineeFace({ user }: { user: SignedInUser }) {
  return (
    <Routes>
      <Route path="/catalogue" element={<CataloguePage />} />
      <Route path="/catalogue/:code" element={<CourseSessionsPage user={user} />} />
      <Route path="/my/schedule" element={<MySchedulePage user={user} />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
