DROP POLICY certificates_select_taught ON certificates;
