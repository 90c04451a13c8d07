# imgr sweep: periodic reconciliation (batch job).
#
#   nomad job run -var-file=deploy/nomad/deploy.vars.hcl -var image_tag=<git sha> deploy/nomad/sweep.nomad.hcl
#
# `imgr sweep` lists originals whose variants are missing (a task lost with a crashed broker, a
# message purged by hand, a worker killed past its deadline) and enqueues them again. Idempotent:
# a run that finds nothing does nothing, so the schedule only bounds how long a lost variant stays
# missing.

variable "image_tag" {
  type = string
}

# ---- Deploy inputs: set in deploy/nomad/deploy.vars.hcl (copied from deploy.vars.example.hcl), the one
# file both deploy paths pass with -var-file. Every job declares all of them because Nomad refuses a
# var-file that sets a variable the job does not declare. No plausible default: a missing or
# "CHANGE-ME" value fails the render with the name of the input.

variable "datacenters" {
  type        = list(string)
  description = "Nomad datacenters of the VMs."
  validation {
    condition     = length(var.datacenters) > 0 && !contains(var.datacenters, "CHANGE-ME")
    error_message = "Deploy input datacenters is not set: give the provider's datacenter in deploy/nomad/deploy.vars.hcl."
  }
}

variable "public_url" {
  type        = string
  description = "Public base URL (the floating IP's tunnel); the CI deploy smoke-tests through it."
  validation {
    condition     = replace(var.public_url, "CHANGE-ME", "") == var.public_url
    error_message = "Deploy input public_url is not set: give the team's public URL in deploy/nomad/deploy.vars.hcl."
  }
}

variable "image_registry" {
  type        = string
  description = "Registry and namespace of the imgr and imgr-web images (ghcr.io/<owner> or $CI_REGISTRY_IMAGE)."
  validation {
    condition     = replace(var.image_registry, "CHANGE-ME", "") == var.image_registry
    error_message = "Deploy input image_registry is not set: give where the pipeline pushes the images in deploy/nomad/deploy.vars.hcl."
  }
}

variable "s3_endpoint_url" {
  type        = string
  description = "S3 endpoint (not secret; the keys are in the Nomad Variable)."
  validation {
    condition     = replace(var.s3_endpoint_url, "CHANGE-ME", "") == var.s3_endpoint_url
    error_message = "Deploy input s3_endpoint_url is not set: give the provider's S3 endpoint in deploy/nomad/deploy.vars.hcl."
  }
}

variable "s3_bucket_name" {
  type = string
  validation {
    condition     = replace(var.s3_bucket_name, "CHANGE-ME", "") == var.s3_bucket_name
    error_message = "Deploy input s3_bucket_name is not set: give the bucket in deploy/nomad/deploy.vars.hcl."
  }
}

variable "aws_region_name" {
  type = string
  # Ceph RGW and MinIO accept any region; AWS needs the bucket's.
  default = "us-east-1"
}

variable "api_count" {
  type = number
  # Two: one per VM, so either VM can die or be drained without an API outage.
  default = 2
}

variable "worker_count" {
  type    = number
  default = 2
}

variable "web_count" {
  type    = number
  default = 2
}

job "imgr-sweep" {
  datacenters = var.datacenters
  type        = "batch"

  periodic {
    # Every 10 minutes: a lost variant is back within ~10 minutes plus one resize. IMGR_SWEEP_PERIOD_S of
    # deploy/runtime/sweep.env (compose's sweep service waits that long between runs; held to this cron
    # by tests/deploy/runtime-settings.test.mjs).
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
        # The image's HEALTHCHECK is for plain Docker and compose: Docker would run it as a second
        # Node.js process inside this task's 128 MiB (it OOM-killed the 64 MiB web task in the lab).
        healthchecks {
          disable = true
        }
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
        # A run that has not finished in 8 minutes exits with an error: with prohibit_overlap a hung
        # run would otherwise silence every later period (a Nomad batch job has no run-time limit).
        # The value of deploy/runtime/sweep.env, which compose.yaml reads (held to it by
        # tests/deploy/runtime-settings.test.mjs).
        IMGR_SWEEP_TIMEOUT_S = "480"
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
          {{- /* The batch's report for the alerts on a failing or stale sweep; none when monitoring is not deployed. */}}
          {{- range service "imgr-pushgateway" }}
          IMGR_PUSHGATEWAY_URL=http://{{ .Address }}:{{ .Port }}
          {{- end }}
        EOT
        destination = "secrets/imgr.env"
        env         = true
      }

      # Stops between two objects on SIGTERM; nothing to drain. This kill timeout and the memory below
      # are SWEEP_KILL_TIMEOUT_S and SWEEP_MEMORY_MIB of deploy/runtime/limits.env, as in compose.yaml.
      kill_timeout = "15s"

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
