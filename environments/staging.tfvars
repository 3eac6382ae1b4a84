# terraform apply -var-file=environments/staging.tfvars
environment = "staging"
aws_region  = "us-east-1"

alert_emails = ["chargeback-staging-alerts@example.com"]

log_level                   = "INFO"
log_retention_in_days       = 90
archive_retention_in_days   = 90
processed_retention_in_days = 90
state_machine_log_level     = "ERROR"
lambda_reserved_concurrency = 5

enable_success_notifications = true
enable_vpc                   = false
