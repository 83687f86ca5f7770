import { Route, Routes } from 'react-router';
import { NotFound } from '../../ui/NotFound.tsx';
import { CalendarPage } from './CalendarPage.tsx';
import { CertificateBatchPage } from './CertificateBatch.tsx';
import { CertificatesPage } from './CertificatesPage.tsx';
import { CoursesPage } from './CoursesPage.tsx';
import { PeoplePage } from './PeoplePage.tsx';
import { ScheduleBuilderPage } from './ScheduleBuilderPage.tsx';
import { SchedulesPage } from './SchedulesPage.tsx';
import { SessionPage } from './SessionPage.tsx';
import { SessionsPage } from './SessionsPage.tsx';

/** SA, AD and AP: what each may change inside these pages is the access matrix's (the API refuses the rest). */
export default function AdminFace() {
  return (
    <Routes>
      <Route path="/sessions" element={<SessionsPage />} />
      <Route path="/sessions/:id" element={<SessionPage />} />
      <Route path="/calendar" element={<CalendarPage />} />
      <Route path="/courses" element={<CoursesPage />} />
      <Route path="/people" element={<PeoplePage />} />
      <Route path="/schedules" element={<SchedulesPage />} />
      <Route path="/schedules/new" element={<ScheduleBuilderPage />} />
      <Route path="/certificates" element={<CertificatesPage />} />
      <Route path="/certificates/batches/:id" element={<CertificateBatchPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
