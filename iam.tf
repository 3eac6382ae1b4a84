# One role per function, one for the state machine, one for the trigger (the EventBridge pipe),
# each allowed only the actions and resources it uses.

locals {
  raw_arn       = aws_s3_bucket.raw.arn
  processed_arn = aws_s3_bucket.processed.arn
  network_secret_arns = concat(
    [for s in aws_secretsmanager_secret.network : s.arn],
    # The seeds' single secret (chargeback-ftp-credentials-<env>) serves networks without their own.
    ["arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.secret_prefix}-??????"],
  )
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# What every function needs: its log group, X-Ray, metrics in the Chargeback namespace, the key.
data "aws_iam_policy_document" "function_common" {
  for_each = local.functions

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  statement {
    sid       = "XRayHasNoResourceLevelPermissions"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }

  statement {
    sid       = "MetricsInOwnNamespaceOnly"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [local.stack.metrics_namespace]
    }
  }

  statement {
    sid       = "UseTheStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }
}

data "aws_iam_policy_document" "data_processor" {
  source_policy_documents = [data.aws_iam_policy_document.function_common["data_processor"].json]

  statement {
    sid       = "ReadAndRemoveIncoming"
    actions   = ["s3:DeleteObject", "s3:GetObject"]
    resources = ["${local.raw_arn}/${local.stack.prefixes.incoming}*"]
  }

  statement {
    sid       = "WriteRejected"
    actions   = ["s3:AbortMultipartUpload", "s3:PutObject"]
    resources = ["${local.raw_arn}/${local.stack.prefixes.rejected}*"]
  }

  # A processed input is moved to archive/; a retry after success finds it there.
  statement {
    sid       = "ArchiveInput"
    actions   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    resources = ["${local.raw_arn}/${local.stack.prefixes.archive}*"]
  }

  # Looking for the input in incoming/ and archive/ must tell "not there" (404) from "denied" (403).
  statement {
    sid       = "TellMissingInputFromDenied"
    actions   = ["s3:ListBucket"]
    resources = [local.raw_arn]
  }

  statement {
    sid       = "WriteBatchPartsReadEarlierManifest"
    actions   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    resources = ["${local.processed_arn}/batches/*"]
  }

  # S3 answers a GetObject of a missing key with 404 only to a principal that may list the bucket
  # (the check carries no s3:prefix, so the grant cannot be narrowed by prefix).
  statement {
    sid       = "TellMissingManifestFromDenied"
    actions   = ["s3:ListBucket"]
    resources = [local.processed_arn]
  }
}

data "aws_iam_policy_document" "csv_generator" {
  source_policy_documents = [data.aws_iam_policy_document.function_common["csv_generator"].json]

  statement {
    sid       = "ReadPartsWriteFiles"
    actions   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    resources = ["${local.processed_arn}/batches/*"]
  }
}

data "aws_iam_policy_document" "ftp_uploader" {
  source_policy_documents = [data.aws_iam_policy_document.function_common["ftp_uploader"].json]

  statement {
    sid       = "ReadFiles"
    actions   = ["s3:GetObject"]
    resources = ["${local.processed_arn}/batches/*"]
  }

  statement {
    sid       = "DeliveryLedger"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = ["${local.processed_arn}/deliveries/*"]
  }

  statement {
    sid       = "TellMissingReceiptFromDenied"
    actions   = ["s3:ListBucket"]
    resources = [local.processed_arn]
  }

  statement {
    sid       = "ReadNetworkCredentials"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.network_secret_arns
  }
}

locals {
  function_policies = {
    data_processor = data.aws_iam_policy_document.data_processor.json
    csv_generator  = data.aws_iam_policy_document.csv_generator.json
    ftp_uploader   = data.aws_iam_policy_document.ftp_uploader.json
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name               = "${each.value.name}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = "${each.value.name}-policy"
  role   = aws_iam_role.function[each.key].id
  policy = local.function_policies[each.key]
}

resource "aws_iam_role_policy_attachment" "function_vpc" {
  for_each = var.enable_vpc ? local.functions : {}

  role       = aws_iam_role.function[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

# State machine: invoke the three functions, alert, record failed batches, move the input.
data "aws_iam_policy_document" "states_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "state_machine" {
  #checkov:skip=CKV_AWS_111:Log delivery and X-Ray actions have no resource-level permissions; everything else names its resource
  #checkov:skip=CKV_AWS_356:Log delivery and X-Ray actions have no resource-level permissions; everything else names its resource
  statement {
    sid       = "InvokeFunctions"
    actions   = ["lambda:InvokeFunction"]
    resources = flatten([for fn in aws_lambda_function.this : [fn.arn, "${fn.arn}:*"]])
  }

  statement {
    sid       = "Notify"
    actions   = ["sns:Publish"]
    resources = compact([aws_sns_topic.alerts.arn, var.enable_success_notifications ? aws_sns_topic.success[0].arn : ""])
  }

  statement {
    sid       = "RecordFailedBatch"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failed_batches.arn]
  }

  statement {
    sid       = "UseTheStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }

  statement {
    sid = "DeliverExecutionLogs"
    actions = [
      "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries",
      "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "XRayHasNoResourceLevelPermissions"
    actions   = ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "state_machine" {
  name               = "${local.state_machine_name}-role"
  assume_role_policy = data.aws_iam_policy_document.states_assume.json
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "${local.state_machine_name}-policy"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

# Trigger: the EventBridge pipe reads the trigger queue and starts the state machine.
data "aws_iam_policy_document" "pipes_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["pipes.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "trigger" {
  statement {
    sid       = "ReadTriggerQueue"
    actions   = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    resources = [aws_sqs_queue.trigger.arn]
  }

  statement {
    sid       = "DecryptTriggerQueue"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }

  statement {
    sid       = "StartPipeline"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.pipeline.arn]
  }
}

resource "aws_iam_role" "trigger" {
  name               = "${local.name_prefix}-trigger-role"
  assume_role_policy = data.aws_iam_policy_document.pipes_assume.json
}

resource "aws_iam_role_policy" "trigger" {
  name   = "${local.name_prefix}-trigger-policy"
  role   = aws_iam_role.trigger.id
  policy = data.aws_iam_policy_document.trigger.json
}
