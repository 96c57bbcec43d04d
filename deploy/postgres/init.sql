-- One PostgreSQL server, one database per service (run once, on an empty data folder).
CREATE DATABASE prefect;
CREATE DATABASE mlflow;
