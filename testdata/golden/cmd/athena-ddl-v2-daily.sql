CREATE EXTERNAL TABLE IF NOT EXISTS `flowlogs`.`vpc_flow_logs` (
  `version` int,
  `account_id` string,
  `interface_id` string,
  `srcaddr` string,
  `dstaddr` string,
  `srcport` int,
  `dstport` int,
  `protocol` int,
  `packets` bigint,
  `bytes` bigint,
  `start` bigint,
  `end` bigint,
  `action` string,
  `log_status` string
)
PARTITIONED BY (
  `year` string,
  `month` string,
  `day` string
)
STORED AS PARQUET
LOCATION 's3://analytics/flowlogs/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.year.type'='integer',
  'projection.year.range'='2026,2026',
  'projection.month.type'='integer',
  'projection.month.range'='1,12',
  'projection.month.digits'='2',
  'projection.day.type'='integer',
  'projection.day.range'='1,31',
  'projection.day.digits'='2',
  'storage.location.template'='s3://analytics/flowlogs/year=${year}/month=${month}/day=${day}/'
)
