CREATE EXTERNAL TABLE IF NOT EXISTS `flowlogs`.`vpc_flow_logs` (
  `version` int,
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
  `account_id` string,
  `region` string,
  `year` string,
  `month` string,
  `day` string,
  `hour` string
)
STORED AS PARQUET
LOCATION 's3://analytics/flowlogs/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.account_id.type'='enum',
  'projection.account_id.values'='123456789012',
  'projection.region.type'='enum',
  'projection.region.values'='us-east-1',
  'projection.year.type'='integer',
  'projection.year.range'='2026,2026',
  'projection.month.type'='integer',
  'projection.month.range'='1,12',
  'projection.month.digits'='2',
  'projection.day.type'='integer',
  'projection.day.range'='1,31',
  'projection.day.digits'='2',
  'projection.hour.type'='integer',
  'projection.hour.range'='0,23',
  'projection.hour.digits'='2',
  'storage.location.template'='s3://analytics/flowlogs/account_id=${account_id}/region=${region}/year=${year}/month=${month}/day=${day}/hour=${hour}/'
)
