DROP TABLE compliance_records;
DROP TABLE compliance_requirements;
