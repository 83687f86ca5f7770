-- 0045: undoes exactly what 0045_notification_templates.up.sql does.
DROP TABLE notification_templates;
