# imgr application job: API, resize workers and the static web page.
#
#   nomad job run -var-file=deploy/nomad/deploy.vars.hcl -var image_tag=<git sha> deploy/nomad/imgr.nomad.hcl
#
# Secrets (broker URL with its password, S3 keys) never appear here: they live in the Nomad
# Variable nomad/jobs/imgr (pushed by deploy/ansible/playbooks/nomad-variables.yml) and are rendered
# into the task environment by a `template` block. Tasks of job "imgr" can read that path without
# any ACL policy (workload identity gives every job read access to nomad/jobs/<job>).
#
# Docs: https://developer.hashicorp.com/nomad/docs/job-specification

variable "image_tag" {
  type        = string
  description = "Tag of <image_registry>/imgr and <image_registry>/imgr-web (the git commit; never 'latest', so a rollback is exact)."
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

locals {
  app_image = "${var.image_registry}/imgr:${var.image_tag}"
  web_image = "${var.image_registry}/imgr-web:${var.image_tag}"

  # Rendered by every app task: only what is secret comes from the Nomad Variable.
  secrets_template = <<-EOT
    {{- with nomadVar "nomad/jobs/imgr" }}
    CELERY_BROKER_URL={{ .celery_broker_url }}
    AWS_ACCESS_KEY_ID={{ .aws_access_key_id }}
    AWS_SECRET_ACCESS_KEY={{ .aws_secret_access_key }}
    {{- end }}
  EOT
}

job "imgr" {
  datacenters = var.datacenters
  type        = "service"

  # Where this deployment is served (read by operators and `nomad job inspect`; the smoke test uses it).
  meta {
    public_url = var.public_url
  }

  # Every group's update settings: a group's own update block sets only its canary count, and Nomad
  # takes every field it leaves unset from here.
  update {
    # One allocation at a time: with two VMs the other instance keeps serving.
    max_parallel = 1
    # Canaries run the new version beside the old one; the ingress skips them (canary_tags) until
    # they are healthy and promoted, so a broken build never takes user traffic. Each group sets
    # canary = its count: at promotion Nomad stops every old instance at once, and with fewer
    # canaries than instances the promoted ones would serve alone until the rest were placed.
    # No human step: promotion happens as soon as every canary is healthy...
    auto_promote = true
    # ...and a deployment that fails (canary never healthy, or an instance failing during the
    # roll-out) goes back to the last stable version by itself.
    auto_revert = true
    # "Healthy" means the Consul checks pass (readiness: storage and broker reachable), not just
    # "the process started".
    health_check = "checks"
    # Must stay healthy this long: catches crash loops right after start.
    min_healthy_time = "15s"
    # Time for one allocation to become healthy (image pull on a fresh node included)...
    healthy_deadline = "2m"
    # ...and it must stay below progress_deadline, otherwise the deployment fails on the
    # progress deadline before an allocation could even be marked unhealthy. A canary that keeps
    # crashing is rescheduled within the deployment, so a broken version is only declared failed
    # (and reverted) at this deadline: measured on a dev agent, 5 min with 5m, hence 3m.
    progress_deadline = "3m"
    stagger           = "10s"
  }

  # Node drains (maintenance, `drain_on_shutdown`) move allocations with the same care as an update.
  migrate {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "2m"
  }

  # ------------------------------------------------------------------ API
  group "api" {
    count = var.api_count

    # The job's update block, with as many canaries as instances (see the job's update block).
    update {
      canary = var.api_count
    }

    # Soft spread over nodes rather than distinct_hosts: with two VMs a hard "one per node"
    # constraint leaves no room for a canary or for moving an allocation off a draining node.
    spread {
      attribute = "${node.unique.id}"
      weight    = 100
    }

    network {
      # Dynamic host port on vxlan100 (the client's network_interface), mapped to the container's
      # 8080; the ingress on either VM reaches it over the private network.
      port "http" {
        to = 8080
      }
    }

    # Restart in place a few times (a transient fault), then give up on this node...
    restart {
      attempts = 2
      interval = "5m"
      delay    = "5s"
      # ...and fail the allocation so the scheduler places it elsewhere (reschedule below)
      # instead of restarting forever on a broken node.
      mode = "fail"
    }

    # Failed allocations are placed again, with exponential back-off so a bad config does not
    # hammer the cluster, and without a cap on attempts: the service must come back by itself.
    reschedule {
      delay          = "10s"
      delay_function = "exponential"
      max_delay      = "2m"
      unlimited      = true
    }

    service {
      name = "imgr-api"
      port = "http"
      # The ingress renders only instances tagged "live"...
      tags = ["live"]
      # ...and a canary carries these tags instead until it is promoted, so it gets no user
      # traffic while it is being judged.
      canary_tags = ["canary"]

      # Readiness: storage and broker reachable. Routing and deployment health use it; it does
      # not restart the task (a RabbitMQ outage must not restart every API).
      check {
        name     = "ready"
        type     = "http"
        path     = "/health/ready"
        interval = "5s"
        timeout  = "2s"
      }

      # Liveness: the process answers at all. Three failures in a row (after a start-up grace)
      # restart the task: a wedged event loop heals without a human.
      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "3s"

        check_restart {
          limit = 3
          grace = "30s"
          # Do not count "warning" as a failure.
          ignore_warnings = true
        }
      }
    }

    task "api" {
      driver = "docker"

      config {
        image = local.app_image
        args  = ["api"]
        ports = ["http"]
        # The image is built to run with a read-only root; only /tmp is writable.
        readonly_rootfs = true
        # The image's HEALTHCHECK is for plain Docker and compose; here Consul checks the task. Docker
        # would run it as a second Node.js process inside the task's memory limit: the web task (64 MiB)
        # was OOM-killed three times in a row in the lab with it.
        healthchecks {
          disable = true
        }
        mount {
          type   = "tmpfs"
          target = "/tmp"
          tmpfs_options {
            size = 67108864
          }
        }
      }

      env {
        PORT            = "8080"
        IMGR_STORAGE    = "s3"
        S3_ENDPOINT_URL = var.s3_endpoint_url
        S3_BUCKET_NAME  = var.s3_bucket_name
        AWS_REGION_NAME = var.aws_region_name
        LOG_LEVEL       = "info"
        # The role's runtime settings: the values of deploy/runtime/api.env, where each is explained
        # (compose.yaml and the bench read that file; tests/deploy/runtime-settings.test.mjs holds these to it).
        IMGR_SHUTDOWN_TIMEOUT_MS = "20000"
        NODE_OPTIONS             = "--max-semi-space-size=1"
        # The ingresses reach the API over vxlan100 (or, on the same VM, through Docker's proxy on
        # the bridge gateway): only their X-Forwarded-For names the client for the rate limits.
        IMGR_TRUSTED_PROXIES = "172.16.0.0/16,172.17.0.1"
      }

      template {
        data        = local.secrets_template
        destination = "secrets/imgr.env"
        # Loaded into the environment; the file sits in the secrets dir (tmpfs, not readable by
        # other tasks).
        env = true
        # A secret rotation is rolled out by the rotate-secrets runbook (`nomad job restart`,
        # one allocation at a time); restarting every allocation at once here would be an outage.
        change_mode = "noop"
      }

      # Nomad deregisters the service from Consul first, waits this long (the ingress re-renders
      # and stops sending new requests), and only then sends SIGTERM.
      shutdown_delay = "5s"
      # On SIGTERM the API drains in-flight requests for up to IMGR_SHUTDOWN_TIMEOUT_MS (20 s):
      # leave 10 s more before SIGKILL. The client's max_kill_timeout (2m) allows it.
      # This kill timeout and the memory below: API_KILL_TIMEOUT_S and API_MEMORY_MIB of
      # deploy/runtime/limits.env, as in compose.yaml (tests/deploy/runtime-settings.test.mjs).
      kill_timeout = "30s"
      kill_signal  = "SIGTERM"

      # Measured in the failover simulation (tests/deploy): 130-140 MiB peak RSS under a steady
      # upload/fetch load of small images. Up to IMGR_MAX_CONCURRENT_UPLOADS (8) uploads of up to
      # 25 MiB are handled at once: 384 MiB leaves room for several large bodies in memory.
      resources {
        cpu    = 300
        memory = 384
      }
    }
  }

  # --------------------------------------------------------------- worker
  group "worker" {
    count = var.worker_count

    spread {
      attribute = "${node.unique.id}"
      weight    = 100
    }

    # The job's update and migrate blocks, with as many canaries as instances.
    update {
      canary = var.worker_count
    }

    network {
      # The worker serves /health, /health/ready and /metrics only; no user traffic.
      port "http" {
        to = 8080
      }
    }

    restart {
      attempts = 2
      interval = "5m"
      delay    = "5s"
      mode     = "fail"
    }

    reschedule {
      delay          = "10s"
      delay_function = "exponential"
      max_delay      = "2m"
      unlimited      = true
    }

    service {
      name        = "imgr-worker"
      port        = "http"
      tags        = ["live"]
      canary_tags = ["canary"]

      check {
        name     = "ready"
        type     = "http"
        path     = "/health/ready"
        interval = "5s"
        timeout  = "2s"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "3s"

        check_restart {
          limit           = 3
          grace           = "30s"
          ignore_warnings = true
        }
      }
    }

    task "worker" {
      driver = "docker"

      config {
        image           = local.app_image
        args            = ["worker"]
        ports           = ["http"]
        readonly_rootfs = true
        # The image's HEALTHCHECK off, as for the api task (a second Node.js process in the memory limit).
        healthchecks {
          disable = true
        }
        mount {
          type   = "tmpfs"
          target = "/tmp"
          tmpfs_options {
            size = 134217728
          }
        }
      }

      env {
        PORT            = "8080"
        IMGR_STORAGE    = "s3"
        S3_ENDPOINT_URL = var.s3_endpoint_url
        S3_BUCKET_NAME  = var.s3_bucket_name
        AWS_REGION_NAME = var.aws_region_name
        LOG_LEVEL       = "info"
        # The role's runtime settings: the values of deploy/runtime/worker.env, where each is explained
        # (compose.yaml and the bench read that file; tests/deploy/runtime-settings.test.mjs holds these to it).
        IMGR_SHUTDOWN_TIMEOUT_MS = "75000"
        IMGR_WORKER_CONCURRENCY  = "2"
        IMGR_WORKER_PREFETCH     = "16"
        NODE_OPTIONS             = "--max-semi-space-size=64"
      }

      template {
        data        = local.secrets_template
        destination = "secrets/imgr.env"
        env         = true
        change_mode = "noop"
      }

      # No traffic comes through Consul, but deregistering first keeps the health view honest.
      shutdown_delay = "2s"
      # Worker deadline 75 s + margin: SIGKILL only if an image is truly stuck; an unacknowledged
      # task is redelivered by RabbitMQ anyway, so nothing is lost, only redone.
      # This kill timeout and the memory below: WORKER_KILL_TIMEOUT_S and WORKER_MEMORY_MIB of
      # deploy/runtime/limits.env, as in compose.yaml (tests/deploy/runtime-settings.test.mjs).
      kill_timeout = "90s"

      # Measured in the failover simulation: 155-165 MiB peak RSS resizing small PNGs; under the worst
      # backlog 217 MiB (bench/worker-memory.mjs). The computed worst case is larger: a 50 Mpx PNG (IMGR_MAX_PIXELS) decodes to ~200 MiB of RGBA, two at once
      # (IMGR_WORKER_CONCURRENCY 2) plus the 50 MiB libvips cache and the runtime: ~600 MiB.
      resources {
        cpu    = 1000
        memory = 768
      }
    }
  }

  # ------------------------------------------------------------------ web
  group "web" {
    count = var.web_count

    # The job's update block, with as many canaries as instances (see the job's update block).
    update {
      canary = var.web_count
    }

    spread {
      attribute = "${node.unique.id}"
      weight    = 100
    }

    network {
      port "http" {
        to = 8080
      }
    }

    restart {
      attempts = 2
      interval = "5m"
      delay    = "5s"
      mode     = "fail"
    }

    reschedule {
      delay          = "10s"
      delay_function = "exponential"
      max_delay      = "2m"
      unlimited      = true
    }

    service {
      name        = "imgr-web"
      port        = "http"
      tags        = ["live"]
      canary_tags = ["canary"]

      # A static server has no dependency to report, so readiness is "serves its runtime
      # config"; it proves the mounted config.json is there.
      check {
        name     = "ready"
        type     = "http"
        path     = "/config.json"
        interval = "5s"
        timeout  = "2s"

        check_restart {
          limit           = 3
          grace           = "20s"
          ignore_warnings = true
        }
      }
    }

    task "web" {
      driver = "docker"

      config {
        image           = local.web_image
        ports           = ["http"]
        readonly_rootfs = true
        # One build serves every environment: the runtime config is mounted over the image's.
        # A single-file bind mount is fine here because the file never changes (change_mode noop);
        # a re-rendered file would be renamed over and the container would keep the old inode.
        # The image's HEALTHCHECK off, as for the api task (a second Node.js process in the memory limit).
        healthchecks {
          disable = true
        }
        mount {
          type     = "bind"
          source   = "local/config.json"
          target   = "/srv/www/config.json"
          readonly = true
        }
        mount {
          type   = "tmpfs"
          target = "/tmp"
        }
      }

      template {
        # Through the ingress the API is on the same origin: no CORS, no host name baked in.
        data        = <<-EOT
          {"endpoint": "/"}
        EOT
        destination = "local/config.json"
        change_mode = "noop"
      }

      shutdown_delay = "3s"
      kill_timeout   = "10s"

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
