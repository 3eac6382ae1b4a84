# Trigger: S3 Object Created (EventBridge) -> rule on incoming/ -> SQS buffer (DLQ) -> pipe -> state machine.

resource "aws_sqs_queue" "trigger_dlq" {
  name                      = "${local.name_prefix}-${local.stack.queues.trigger_dlq}"
  kms_master_key_id         = aws_kms_key.main.arn
  message_retention_seconds = 1209600
}

resource "aws_sqs_queue" "trigger" {
  name                       = "${local.name_prefix}-${local.stack.queues.trigger}"
  kms_master_key_id          = aws_kms_key.main.arn
  message_retention_seconds  = 1209600
  visibility_timeout_seconds = 60
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.trigger_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "trigger_dlq" {
  queue_url = aws_sqs_queue.trigger_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.trigger.arn]
  })
}

# Failed batches, recorded by the state machine for `chargeback redrive`.
resource "aws_sqs_queue" "failed_batches" {
  name                      = "${local.name_prefix}-${local.stack.queues.failed_batches}"
  kms_master_key_id         = aws_kms_key.main.arn
  message_retention_seconds = 1209600
}

resource "aws_cloudwatch_event_rule" "incoming" {
  name        = "${local.name_prefix}-incoming"
  description = "Object Created under ${local.stack.prefixes.incoming} in the raw bucket"
  event_pattern = jsonencode({
    source      = ["aws.s3"]
    detail-type = ["Object Created"]
    detail = {
      bucket = { name = [aws_s3_bucket.raw.bucket] }
      object = { key = [{ prefix = local.stack.prefixes.incoming }] }
    }
  })
}

resource "aws_cloudwatch_event_target" "incoming" {
  rule      = aws_cloudwatch_event_rule.incoming.name
  target_id = "trigger-queue"
  arn       = aws_sqs_queue.trigger.arn

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.trigger_dlq.arn
  }
}

data "aws_iam_policy_document" "trigger_queue" {
  for_each = {
    trigger     = aws_sqs_queue.trigger.arn
    trigger_dlq = aws_sqs_queue.trigger_dlq.arn
  }

  statement {
    sid       = "EventBridgeRuleSends"
    actions   = ["sqs:SendMessage"]
    resources = [each.value]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.incoming.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "trigger" {
  queue_url = aws_sqs_queue.trigger.id
  policy    = data.aws_iam_policy_document.trigger_queue["trigger"].json
}

resource "aws_sqs_queue_policy" "trigger_dlq" {
  queue_url = aws_sqs_queue.trigger_dlq.id
  policy    = data.aws_iam_policy_document.trigger_queue["trigger_dlq"].json
}

resource "aws_pipes_pipe" "trigger" {
  name        = "${local.name_prefix}-trigger"
  description = "Starts the pipeline for each Object Created event buffered in the trigger queue"
  role_arn    = aws_iam_role.trigger.arn
  source      = aws_sqs_queue.trigger.arn
  target      = aws_sfn_state_machine.pipeline.arn

  source_parameters {
    sqs_queue_parameters {
      batch_size = 1
    }
  }

  target_parameters {
    # The SQS body is the EventBridge event (JSON, parsed implicitly): it becomes the execution input.
    input_template = "<$.body>"

    step_function_state_machine_parameters {
      invocation_type = "FIRE_AND_FORGET"
    }
  }

  depends_on = [aws_iam_role_policy.trigger]
}

# Alerts: every failed batch and rejected file; CloudWatch alarms.
resource "aws_sns_topic" "alerts" {
  name              = "${local.name_prefix}-${local.stack.topics.alerts}"
  kms_master_key_id = aws_kms_key.main.arn
}

resource "aws_sns_topic_subscription" "alert_email" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic" "success" {
  count = var.enable_success_notifications ? 1 : 0

  name              = "${local.name_prefix}-${local.stack.topics.success}"
  kms_master_key_id = aws_kms_key.main.arn
}

resource "aws_sns_topic_subscription" "success_email" {
  for_each = var.enable_success_notifications ? toset(var.success_emails) : toset([])

  topic_arn = aws_sns_topic.success[0].arn
  protocol  = "email"
  endpoint  = each.value
}

# One secret per network; their values are set outside Terraform (DEPLOYMENT.md), so no
# credential ever lands in the Terraform state.
resource "aws_secretsmanager_secret" "network" {
  #checkov:skip=CKV2_AWS_57:The card networks issue these FTP/SFTP credentials; rotation is a manual put-secret-value (DEPLOYMENT.md), no Lambda can rotate them
  for_each = toset(local.stack.networks)

  name                    = "${local.secret_prefix}/${each.key}"
  description             = "FTP/SFTP/FTPS server of ${each.key} for the chargeback pipeline (${var.environment})"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = var.secret_recovery_window_in_days
}
