# terraform apply -var-file=environments/prod.tfvars
environment = "prod"
aws_region  = "us-east-1"

alert_emails = ["chargeback-ops@example.com"]

log_level                   = "INFO"
log_retention_in_days       = 365
archive_retention_in_days   = 400
processed_retention_in_days = 400
state_machine_log_level     = "ERROR"
lambda_reserved_concurrency = 10
lambda_architecture         = "x86_64"

enable_success_notifications = false

# Fixed egress address for the card networks' allow-lists: run the functions in private
# subnets behind a NAT gateway with an Elastic IP.
enable_vpc             = false
vpc_id                 = ""
vpc_subnet_ids         = []
vpc_security_group_ids = []
vpc_route_table_ids    = []
