import { Route, Routes } from 'react-router';
import { NotFound } from '../../ui/NotFound.tsx';
import { AuditPage } from './AuditPage.tsx';
import { CalendarPage } from './CalendarPage.tsx';
import { CertificateBatchPage } from './CertificateBatch.tsx';
import { CertificatePage } from './CertificatePage.tsx';
import { CertificatesPage } from './CertificatesPage.tsx';
import { CoursesPage } from './CoursesPage.tsx';
import { DashboardPage } from './DashboardPage.tsx';
import { JobsPage } from './JobsPage.tsx';
import { PeoplePage } from './PeoplePage.tsx';
import { RosterPage, RostersPage } from './RostersPage.tsx';
import { ScheduleBuilderPage } from './ScheduleBuilderPage.tsx';
import { SchedulePage } from './SchedulePage.tsx';
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
      <Route path="/schedules/:id" element={<SchedulePage />} />
      <Route path="/certificates" element={<CertificatesPage />} />
      <Route path="/dashboard" element={<DashboardPage />} />
      <Route path="/rosters" element={<RostersPage />} />
      <Route path="/rosters/:id" element={<RosterPage />} />
      <Route path="/audit" element={<AuditPage />} />
      <Route path="/jobs" element={<JobsPage />} />
      <Route path="/certificates/batches/:id" element={<CertificateBatchPage />} />
      <Route path="/certificates/:id" element={<CertificatePage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
