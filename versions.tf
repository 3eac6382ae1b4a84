terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }
  }

  # Filled per environment: terraform init -backend-config=environments/<env>.s3.tfbackend
  backend "s3" {}
}
