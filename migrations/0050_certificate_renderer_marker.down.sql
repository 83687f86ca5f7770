ALTER TABLE certificates DISABLE TRIGGER USER;
UPDATE certificates SET snapshot = snapshot - 'renderer' WHERE snapshot ->> 'renderer' = '1';
ALTER TABLE certificates ENABLE TRIGGER USER;
