-- From this migration on the certificate PDF draws its QR code as vector rectangles instead of a PNG
-- image (decision 0048). A certificate's PDF must keep the bytes its stored SHA-256 was taken from, so
-- the certificates issued before say so in their snapshot: renderer 1 (the PNG QR code). A snapshot
-- without a renderer is drawn by the current one. A format marker, not a change of what a certificate
-- says: no audit row, event, stream change or version bump, hence the triggers are off for the update.
ALTER TABLE certificates DISABLE TRIGGER USER;
UPDATE certificates SET snapshot = snapshot || '{"renderer": 1}'::jsonb WHERE NOT snapshot ? 'renderer';
ALTER TABLE certificates ENABLE TRIGGER USER;
