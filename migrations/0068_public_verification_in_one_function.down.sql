DROP FUNCTION verify_certificate_public(text[], date);
