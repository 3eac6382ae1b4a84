# Raw bucket: inputs arrive under incoming/, move to archive/ (done) or stay findable in
# rejected/. Processed bucket: batch parts, CSV files, delivery receipts.

resource "aws_s3_bucket" "raw" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is an account-level disaster-recovery choice; inputs are versioned and re-droppable
  #checkov:skip=CKV_AWS_18:Server access logs would need a further bucket per environment; use CloudTrail S3 data events for the audit trail
  bucket = local.raw_bucket_name
}

resource "aws_s3_bucket" "processed" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is an account-level disaster-recovery choice; everything here can be regenerated from archive/
  #checkov:skip=CKV_AWS_18:Server access logs would need a further bucket per environment; use CloudTrail S3 data events for the audit trail
  #checkov:skip=CKV2_AWS_62:Nothing reacts to objects in the processed bucket; the state machine drives every step
  bucket = local.processed_bucket_name
}

locals {
  buckets = {
    raw       = aws_s3_bucket.raw
    processed = aws_s3_bucket.processed
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.main.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "bucket" {
  for_each = local.buckets

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      each.value.arn,
      "${each.value.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = each.value.id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "raw" {
  bucket = aws_s3_bucket.raw.id

  dynamic "rule" {
    for_each = toset([local.stack.prefixes.archive, local.stack.prefixes.rejected])
    content {
      id     = "expire-${trimsuffix(rule.value, "/")}"
      status = "Enabled"
      filter {
        prefix = rule.value
      }
      expiration {
        days = var.archive_retention_in_days
      }
    }
  }

  rule {
    id     = "tidy-versions-and-uploads"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_in_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "processed" {
  bucket = aws_s3_bucket.processed.id

  rule {
    id     = "expire-processed-data"
    status = "Enabled"
    filter {}
    expiration {
      days = var.processed_retention_in_days
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_in_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Object Created events go to EventBridge, where a rule picks incoming/ keys (messaging.tf).
resource "aws_s3_bucket_notification" "raw" {
  bucket      = aws_s3_bucket.raw.id
  eventbridge = true
}
