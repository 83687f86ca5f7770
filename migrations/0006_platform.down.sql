DROP TABLE user_activities;
DROP TABLE notifications;
DROP TABLE jobs;
DROP TABLE change_log;
DROP TABLE domain_events;
DROP TABLE audit_log;
