DROP TABLE certificates;
DROP TABLE certificate_batches;
DROP TABLE certificate_templates;
