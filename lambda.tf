locals {
  # The three functions, from stack.json, with per-environment overrides.
  functions = {
    for key, fn in local.stack.functions : key => {
      name        = "${local.name_prefix}-${fn.name_suffix}"
      handler     = fn.handler
      timeout     = lookup(var.lambda_timeout_seconds, key, fn.timeout_seconds)
      memory_size = lookup(var.lambda_memory_mb, key, fn.memory_mb)
      # data_processor stages a batch's normalised records in /tmp (about 470 bytes a record) before upload.
      ephemeral_storage_mb = fn.ephemeral_storage_mb
    }
  }

  # Values of the sources stack.json's lambda_environment refers to ("function_key" is per function).
  lambda_environment_values = {
    "environment"          = var.environment
    "bucket:raw"           = aws_s3_bucket.raw.bucket
    "bucket:processed"     = aws_s3_bucket.processed.bucket
    "secret_prefix"        = local.secret_prefix
    "max_records_per_file" = tostring(var.max_records_per_file)
    "max_file_bytes"       = tostring(var.max_file_bytes)
    "reject_policy"        = var.reject_policy
    "metrics_namespace"    = local.stack.metrics_namespace
    "log_level"            = var.log_level

    "delivery_max_attempts"    = tostring(var.delivery_max_attempts)
    "delivery_timeout_seconds" = tostring(var.delivery_timeout_seconds)
  }
}

resource "aws_lambda_layer_version" "dependencies" {
  layer_name               = "${local.name_prefix}-dependencies"
  description              = "Runtime dependencies of the chargeback functions (boto3 comes with the runtime)"
  filename                 = var.layer_zip_path
  source_code_hash         = filebase64sha256(var.layer_zip_path)
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = [var.lambda_architecture]
}

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Step Functions invokes the functions synchronously; a Lambda DLQ only applies to asynchronous invocations, failures go to the state machine's Catch
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile outside this stack; the package is built from this repository by `make package`
  #checkov:skip=CKV_AWS_117:Running in a VPC is optional (enable_vpc): needed only when the card networks allow-list a fixed egress address
  for_each = local.functions

  function_name                  = each.value.name
  description                    = "Chargeback pipeline: ${each.key}"
  role                           = aws_iam_role.function[each.key].arn
  runtime                        = "python3.12"
  handler                        = each.value.handler
  architectures                  = [var.lambda_architecture]
  filename                       = var.functions_zip_path
  source_code_hash               = filebase64sha256(var.functions_zip_path)
  layers                         = [aws_lambda_layer_version.dependencies.arn]
  timeout                        = each.value.timeout
  memory_size                    = each.value.memory_size
  reserved_concurrent_executions = var.lambda_reserved_concurrency
  kms_key_arn                    = aws_kms_key.main.arn

  ephemeral_storage {
    size = each.value.ephemeral_storage_mb
  }

  environment {
    variables = {
      for name, source in local.stack.lambda_environment :
      name => merge(local.lambda_environment_values, { "function_key" = each.key })[source]
    }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  dynamic "vpc_config" {
    for_each = var.enable_vpc ? [1] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

  lifecycle {
    precondition {
      condition     = !var.enable_vpc || (length(var.vpc_subnet_ids) > 0 && length(var.vpc_security_group_ids) > 0 && var.vpc_id != "")
      error_message = "enable_vpc needs vpc_id, vpc_subnet_ids and vpc_security_group_ids."
    }
  }

  depends_on = [aws_iam_role_policy.function, aws_cloudwatch_log_group.function]
}

# With enable_vpc the functions reach S3 and Secrets Manager through endpoints, and the card
# networks' servers through the VPC's NAT (the fixed egress address they allow-list).
resource "aws_vpc_endpoint" "s3" {
  count = var.enable_vpc ? 1 : 0

  vpc_id            = var.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.vpc_route_table_ids
}

resource "aws_vpc_endpoint" "secretsmanager" {
  count = var.enable_vpc ? 1 : 0

  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${local.region}.secretsmanager"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.vpc_subnet_ids
  security_group_ids  = [aws_security_group.endpoints[0].id]
  private_dns_enabled = true
}

resource "aws_security_group" "endpoints" {
  count = var.enable_vpc ? 1 : 0

  name        = "${local.name_prefix}-endpoints"
  description = "HTTPS from the chargeback functions to the VPC interface endpoints"
  vpc_id      = var.vpc_id

  ingress {
    description     = "HTTPS from the functions"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    security_groups = var.vpc_security_group_ids
  }
}
