variable "project" {
  description = "Project name: the first part of every resource name (<project>-<environment>-<suffix>)."
  type        = string
  default     = "chargeback"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment."
  type        = string
  default     = "dev"

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Extra tags for every resource, merged with the provider's default tags (project, environment)."
  type        = map(string)
  default     = {}
}

variable "functions_zip_path" {
  description = "Path of the functions package built by `make package` (handlers and the chargeback package)."
  type        = string
  default     = "dist/functions.zip"
}

variable "layer_zip_path" {
  description = "Path of the dependencies layer built by `make package`."
  type        = string
  default     = "dist/layer.zip"
}

variable "lambda_architecture" {
  description = "CPU architecture of the Lambda functions; must match the architecture `make package` built the layer for."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "lambda_timeout_seconds" {
  description = "Per-function timeout overrides in seconds, keyed by function (data_processor, csv_generator, ftp_uploader); others keep the stack.json default."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.lambda_timeout_seconds : contains(["data_processor", "csv_generator", "ftp_uploader"], k) && v >= 1 && v <= 900])
    error_message = "Keys must be data_processor, csv_generator or ftp_uploader; values 1-900 seconds."
  }
}

variable "lambda_memory_mb" {
  description = "Per-function memory overrides in MB, keyed by function; others keep the stack.json default."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.lambda_memory_mb : contains(["data_processor", "csv_generator", "ftp_uploader"], k) && v >= 128 && v <= 10240])
    error_message = "Keys must be data_processor, csv_generator or ftp_uploader; values 128-10240 MB."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrent executions of each function (caps parallel deliveries to the card networks' servers)."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_reserved_concurrency >= 1
    error_message = "lambda_reserved_concurrency must be at least 1."
  }
}

variable "log_level" {
  description = "Log level of the Lambda functions (Powertools)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the Lambda and Step Functions log groups, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "state_machine_log_level" {
  description = "Step Functions execution log level."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.state_machine_log_level)
    error_message = "state_machine_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "archive_retention_in_days" {
  description = "Days after which inputs under archive/ and rejected/ in the raw bucket expire."
  type        = number
  default     = 400

  validation {
    condition     = var.archive_retention_in_days >= 1
    error_message = "archive_retention_in_days must be at least 1."
  }
}

variable "processed_retention_in_days" {
  description = "Days after which batch parts, CSV files and delivery receipts in the processed bucket expire. Keep it longer than any redrive window: the delivery ledger lives there."
  type        = number
  default     = 400

  validation {
    condition     = var.processed_retention_in_days >= 1
    error_message = "processed_retention_in_days must be at least 1."
  }
}

variable "noncurrent_version_retention_in_days" {
  description = "Days after which noncurrent object versions expire, in both buckets."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_in_days >= 1
    error_message = "noncurrent_version_retention_in_days must be at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted, in both buckets."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1
    error_message = "abort_incomplete_multipart_upload_days must be at least 1."
  }
}

variable "max_records_per_file" {
  description = "Maximum number of records in one CSV file; a network with more is split into parts."
  type        = number
  default     = 50000

  validation {
    condition     = var.max_records_per_file >= 1
    error_message = "max_records_per_file must be at least 1."
  }
}

variable "max_file_bytes" {
  description = "Maximum size of one CSV file in bytes; a network's file that would be larger is split into parts."
  type        = number
  default     = 52428800

  validation {
    condition     = var.max_file_bytes >= 1024
    error_message = "max_file_bytes must be at least 1024."
  }
}

variable "reject_policy" {
  description = "What an invalid record does: partial (left out and reported) or strict (fails the whole batch)."
  type        = string
  default     = "partial"

  validation {
    condition     = contains(["partial", "strict"], var.reject_policy)
    error_message = "reject_policy must be partial or strict."
  }
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alerts topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Every alert_emails entry must be an e-mail address."
  }
}

variable "enable_success_notifications" {
  description = "Create the success topic and publish a message for every delivered batch."
  type        = bool
  default     = false
}

variable "success_emails" {
  description = "E-mail addresses subscribed to the success topic (only with enable_success_notifications)."
  type        = list(string)
  default     = []
}

variable "enable_vpc" {
  description = "Run the functions in your VPC (private subnets behind a NAT with a fixed egress address the card networks can allow-list), with the VPC endpoints they then need."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "VPC of the functions (with enable_vpc)."
  type        = string
  default     = ""
}

variable "vpc_subnet_ids" {
  description = "Private subnets of the functions (with enable_vpc)."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_ids" {
  description = "Security groups of the functions (with enable_vpc); they need egress to the card networks' servers and to port 443 of the endpoints."
  type        = list(string)
  default     = []
}

variable "vpc_route_table_ids" {
  description = "Route tables of the private subnets, for the S3 gateway endpoint (with enable_vpc)."
  type        = list(string)
  default     = []
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before the customer-managed KMS key is deleted after a destroy, in days."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be 7-30."
  }
}

variable "secret_recovery_window_in_days" {
  description = "Days a deleted network secret can still be restored (0 deletes at once, for throw-away environments)."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_in_days == 0 || (var.secret_recovery_window_in_days >= 7 && var.secret_recovery_window_in_days <= 30)
    error_message = "secret_recovery_window_in_days must be 0 or 7-30."
  }
}

variable "alarm_period_seconds" {
  description = "Evaluation period of the alarms, in seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_period_seconds)
    error_message = "alarm_period_seconds must be 60, 300, 900 or 3600."
  }
}

variable "delivery_retry_interval_seconds" {
  description = "First wait before the state machine retries a transient delivery failure, in seconds (doubles each attempt, with jitter)."
  type        = number
  default     = 30

  validation {
    condition     = var.delivery_retry_interval_seconds >= 1 && var.delivery_retry_interval_seconds <= 3600
    error_message = "delivery_retry_interval_seconds must be 1-3600."
  }
}

variable "delivery_retry_max_attempts" {
  description = "How many times the state machine retries a transient delivery failure before the batch fails (and can be redriven)."
  type        = number
  default     = 3

  validation {
    condition     = var.delivery_retry_max_attempts >= 0 && var.delivery_retry_max_attempts <= 10
    error_message = "delivery_retry_max_attempts must be 0-10."
  }
}

variable "delivery_max_attempts" {
  description = "Connection attempts of one delivery inside the ftp_uploader function (transient faults only, with backoff and jitter)."
  type        = number
  default     = 4

  validation {
    condition     = var.delivery_max_attempts >= 1 && var.delivery_max_attempts <= 10
    error_message = "delivery_max_attempts must be 1-10."
  }
}

variable "delivery_timeout_seconds" {
  description = "Network timeout of one connection to a card network's server, in seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.delivery_timeout_seconds >= 1 && var.delivery_timeout_seconds <= 300
    error_message = "delivery_timeout_seconds must be 1-300."
  }
}
