locals {
  metric_groups = {
    "Records"                        = ["RecordsReceived", "RecordsValid", "RecordsRejected", "RowsGenerated"]
    "Files"                          = ["FilesGenerated", "FilesDelivered", "DeliveryFailures", "FilesRejected"]
    "Bytes delivered"                = ["BytesDelivered"]
    "Delivery latency (ms, average)" = ["DeliveryLatency"]
  }
  lambda_metrics = ["Errors", "Duration", "Throttles"]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = local.name_prefix
  dashboard_body = jsonencode({
    widgets = concat(
      [
        for i, group in keys(local.metric_groups) : {
          type   = "metric"
          x      = (i % 2) * 12
          y      = floor(i / 2) * 6
          width  = 12
          height = 6
          properties = {
            title  = "${local.stack.metrics_namespace}: ${group}"
            region = local.region
            stat   = "Sum"
            period = 300
            metrics = [
              for j, name in local.metric_groups[group] : [{
                expression = "SEARCH('Namespace=\"${local.stack.metrics_namespace}\" MetricName=\"${name}\"', '${name == "DeliveryLatency" ? "Average" : "Sum"}', 300)"
                id         = "m${j}"
                label      = name
              }]
            ]
          }
        }
      ],
      [
        for i, metric in local.lambda_metrics : {
          type   = "metric"
          x      = (i % 2) * 12
          y      = 12 + floor(i / 2) * 6
          width  = 12
          height = 6
          properties = {
            title  = "Lambda ${metric}"
            region = local.region
            stat   = metric == "Duration" ? "p95" : "Sum"
            period = 300
            metrics = [
              for key, fn in local.functions : ["AWS/Lambda", metric, "FunctionName", fn.name]
            ]
          }
        }
      ],
      [
        {
          type   = "metric"
          x      = 12
          y      = 18
          width  = 12
          height = 6
          properties = {
            title  = "Step Functions executions"
            region = local.region
            stat   = "Sum"
            period = 300
            metrics = [
              for metric in ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"] :
              ["AWS/States", metric, "StateMachineArn", aws_sfn_state_machine.pipeline.arn]
            ]
          }
        },
        {
          type   = "metric"
          x      = 0
          y      = 24
          width  = 12
          height = 6
          properties = {
            title  = "Dead-letter and failed-batches queue depth"
            region = local.region
            stat   = "Maximum"
            period = 300
            metrics = [
              ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.trigger_dlq.name],
              ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.failed_batches.name],
            ]
          }
        },
      ],
    )
  })
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = local.functions

  alarm_name          = "${each.value.name}-errors"
  alarm_description   = "${each.key} raised errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this[each.key].function_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "executions" {
  for_each = {
    failed    = "ExecutionsFailed"
    timed_out = "ExecutionsTimedOut"
    aborted   = "ExecutionsAborted"
  }

  alarm_name          = "${local.state_machine_name}-executions-${replace(each.key, "_", "-")}"
  alarm_description   = "Chargeback pipeline executions ${replace(each.key, "_", " ")}"
  namespace           = "AWS/States"
  metric_name         = each.value
  dimensions          = { StateMachineArn = aws_sfn_state_machine.pipeline.arn }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "trigger_dlq" {
  alarm_name          = "${aws_sqs_queue.trigger_dlq.name}-not-empty"
  alarm_description   = "An Object Created event could not start the pipeline: see DEPLOYMENT.md, Redriving"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.trigger_dlq.name }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}
