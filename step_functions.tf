locals {
  # Values of the sources stack.json's state_machine.template_variables refers to.
  template_values = merge(
    { for key, fn in aws_lambda_function.this : "function_arn:${key}" => fn.arn },
    {
      "topic_arn:alerts"         = aws_sns_topic.alerts.arn
      "topic_arn:success"        = var.enable_success_notifications ? aws_sns_topic.success[0].arn : ""
      "queue_url:failed_batches" = aws_sqs_queue.failed_batches.url
      "bucket:raw"               = aws_s3_bucket.raw.bucket
      "bucket:processed"         = aws_s3_bucket.processed.bucket

      "setting:delivery_retry_interval_seconds" = var.delivery_retry_interval_seconds
      "setting:delivery_retry_max_attempts"     = var.delivery_retry_max_attempts
    },
  )
  state_machine_name = "${local.name_prefix}-${local.stack.state_machine.name_suffix}"
}

resource "aws_cloudwatch_log_group" "state_machine" {
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_sfn_state_machine" "pipeline" {
  name     = local.state_machine_name
  role_arn = aws_iam_role.state_machine.arn
  type     = "STANDARD"
  definition = templatefile("${path.module}/${local.stack.state_machine.definition}", {
    for name, source in local.stack.state_machine.template_variables : name => local.template_values[source]
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = var.state_machine_log_level
  }

  tracing_configuration {
    enabled = true
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = aws_kms_key.main.arn
    kms_data_key_reuse_period_seconds = 300
  }

  depends_on = [aws_iam_role_policy.state_machine]
}
