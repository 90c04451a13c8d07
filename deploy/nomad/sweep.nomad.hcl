# imgr sweep: periodic reconciliation (batch job).
#
#   nomad job run -var image_tag=<git sha> deploy/nomad/sweep.nomad.hcl
#
# `imgr sweep` lists originals whose variants are missing (a task lost with a crashed broker, a
# message purged by hand, a worker killed past its deadline) and enqueues them again. Idempotent:
# a run that finds nothing does nothing, so the schedule only bounds how long a lost variant stays
# missing.

variable "image_tag" {
  type = string
}

variable "image_registry" {
  type = string
  # The same registry as the application job (ghcr.io/<owner>, or $CI_REGISTRY_IMAGE on GitLab).
  default = "ghcr.io/imgr"
}

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}

variable "s3_endpoint_url" {
  type    = string
  default = "https://minio.internal.example:9000"
}

variable "s3_bucket_name" {
  type    = string
  default = "images"
}

variable "aws_region_name" {
  type    = string
  default = "us-east-1"
}

job "imgr-sweep" {
  datacenters = var.datacenters
  type        = "batch"

  periodic {
    # Every 10 minutes: a lost variant is back within ~10 minutes plus one resize.
    crons = ["*/10 * * * *"]
    # A slow run (large bucket) must not pile up a second one listing the same objects.
    prohibit_overlap = true
    time_zone        = "UTC"
  }

  group "sweep" {
    count = 1

    # A failed run is retried once in place; the next period runs anyway.
    restart {
      attempts = 1
      delay    = "30s"
      interval = "10m"
      mode     = "fail"
    }

    reschedule {
      attempts  = 1
      interval  = "10m"
      delay     = "30s"
      unlimited = false
    }

    task "sweep" {
      driver = "docker"

      config {
        image           = "${var.image_registry}/imgr:${var.image_tag}"
        args            = ["sweep"]
        readonly_rootfs = true
        mount {
          type   = "tmpfs"
          target = "/tmp"
        }
      }

      env {
        IMGR_STORAGE    = "s3"
        S3_ENDPOINT_URL = var.s3_endpoint_url
        S3_BUCKET_NAME  = var.s3_bucket_name
        AWS_REGION_NAME = var.aws_region_name
        LOG_LEVEL       = "info"
      }

      # Same secrets as the application, pushed to this job's own path by the nomad-variables
      # playbook: a job reads nomad/jobs/<its own name> without any ACL policy.
      template {
        data        = <<-EOT
          {{- with nomadVar "nomad/jobs/imgr-sweep" }}
          CELERY_BROKER_URL={{ .celery_broker_url }}
          AWS_ACCESS_KEY_ID={{ .aws_access_key_id }}
          AWS_SECRET_ACCESS_KEY={{ .aws_secret_access_key }}
          {{- end }}
        EOT
        destination = "secrets/imgr.env"
        env         = true
      }

      # Stops between two objects on SIGTERM; nothing to drain.
      kill_timeout = "15s"

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
