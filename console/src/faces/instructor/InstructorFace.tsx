import { Route, Routes } from 'react-router';
import type { SignedInUser } from '../../api/session.ts';
import { NotFound } from '../../ui/NotFound.tsx';
import { AttendancePage } from './AttendancePage.tsx';
import { TeachingPage } from './TeachingPage.tsx';

/** IC and IP, on a tablet in the training room: today's sessions, then attendance and scores. */
export default function InstructorFace({ user }: { user: SignedInUser }) {
  return (
    <Routes>
      <Route path="/teaching" element={<TeachingPage user={user} />} />
      <Route path="/teaching/:id" element={<AttendancePage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
