export { calendarRoutes } from './calendar.routes.js';
export { renderFeed } from './calendar.ical.js';
export { selectSessionEntryFor } from './calendar.repository.js';
