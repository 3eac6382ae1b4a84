# terraform apply -var-file=environments/dev.tfvars
environment = "dev"
aws_region  = "us-east-1"

alert_emails = ["chargeback-dev-alerts@example.com"]

log_level                      = "DEBUG"
log_retention_in_days          = 30
archive_retention_in_days      = 30
processed_retention_in_days    = 30
state_machine_log_level        = "ALL"
secret_recovery_window_in_days = 0
lambda_reserved_concurrency    = 5

enable_success_notifications = true
enable_vpc                   = false
