output "raw_bucket_name" {
  description = "Drop input files under incoming/ here."
  value       = aws_s3_bucket.raw.bucket
}

output "processed_bucket_name" {
  description = "Batch parts, generated CSV files and delivery receipts."
  value       = aws_s3_bucket.processed.bucket
}

output "state_machine_arn" {
  description = "The chargeback pipeline's state machine."
  value       = aws_sfn_state_machine.pipeline.arn
}

output "function_names" {
  description = "Lambda function names, by function."
  value       = { for key, fn in aws_lambda_function.this : key => fn.function_name }
}

output "alerts_topic_arn" {
  description = "SNS topic of failures, rejected files and alarms."
  value       = aws_sns_topic.alerts.arn
}

output "success_topic_arn" {
  description = "SNS topic of delivered batches (null unless enable_success_notifications)."
  value       = var.enable_success_notifications ? aws_sns_topic.success[0].arn : null
}

output "trigger_queue_url" {
  description = "SQS buffer between the raw bucket's events and the state machine."
  value       = aws_sqs_queue.trigger.url
}

output "trigger_dlq_url" {
  description = "Events that could not start the pipeline."
  value       = aws_sqs_queue.trigger_dlq.url
}

output "failed_batches_queue_url" {
  description = "Failed batches recorded for `chargeback redrive`."
  value       = aws_sqs_queue.failed_batches.url
}

output "secret_names" {
  description = "Secrets Manager secret of each network's server (set their values: DEPLOYMENT.md)."
  value       = { for network, secret in aws_secretsmanager_secret.network : network => secret.name }
}

output "secret_prefix" {
  description = "SECRET_PREFIX of the functions; the single fallback secret has exactly this name."
  value       = local.secret_prefix
}

output "kms_key_arn" {
  description = "Customer-managed key of the buckets, queues, topics, secrets and logs."
  value       = aws_kms_key.main.arn
}

output "dashboard_url" {
  description = "The CloudWatch dashboard."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.main.dashboard_name}"
}
