# imgr backup: mirrors the image bucket to a second S3 target with rclone (periodic batch job).
#
#   nomad job run deploy/nomad/backup.nomad.hcl      # from the repository root (file() below)
#
# deploy/backup/imgr-backup.sh does the work: `rclone sync` of the live bucket into
# <backup bucket>/current, objects deleted or overwritten since the previous run moved to
# <backup bucket>/deleted/<time>. Restore (docs/operations.md, "Backups"): the same script with `restore`.
# Keys of both targets live in the Nomad Variable nomad/jobs/imgr-backup (live_access_key_id,
# live_secret_access_key, backup_access_key_id, backup_secret_access_key).
#
# Docs: https://developer.hashicorp.com/nomad/docs/job-specification/periodic

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}

variable "rclone_image" {
  type    = string
  default = "rclone/rclone:1.71.1"
}

variable "live_endpoint" {
  type    = string
  default = "https://minio.internal.example:9000"
}

variable "live_bucket" {
  type    = string
  default = "images"
}

variable "backup_endpoint" {
  type        = string
  description = "S3 endpoint of the backup target: another provider, or at least another site."
}

variable "backup_bucket" {
  type    = string
  default = "imgr-backup"
}

job "imgr-backup" {
  datacenters = var.datacenters
  type        = "batch"

  periodic {
    # Hourly: the RPO is one hour plus the run's own duration (docs/operations.md gives the measurement).
    crons = ["17 * * * *"]
    # A long first mirror must not be joined by a second one copying the same objects.
    prohibit_overlap = true
    time_zone        = "UTC"
  }

  group "backup" {
    # A failed run is retried once; the next hour runs anyway, and the ImgrBackupStale alert
    # (last success older than 3 h) tells an operator.
    restart {
      attempts = 1
      delay    = "1m"
      interval = "30m"
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "rclone" {
      driver = "docker"

      config {
        image      = var.rclone_image
        entrypoint = ["/bin/sh", "/local/imgr-backup.sh"]
        args       = ["backup"]
      }

      template {
        destination = "local/imgr-backup.sh"
        # The script has no template actions; these delimiters make sure none is read into it.
        left_delimiter  = "[["
        right_delimiter = "]]"
        data            = file("deploy/backup/imgr-backup.sh")
      }

      env {
        IMGR_BACKUP_SOURCE_BUCKET          = var.live_bucket
        IMGR_BACKUP_TARGET_BUCKET          = var.backup_bucket
        RCLONE_CONFIG_LIVE_TYPE            = "s3"
        RCLONE_CONFIG_LIVE_PROVIDER        = "Minio"
        RCLONE_CONFIG_LIVE_ENDPOINT        = var.live_endpoint
        RCLONE_CONFIG_LIVE_NO_CHECK_BUCKET = "true"
        RCLONE_CONFIG_BACKUP_TYPE          = "s3"
        RCLONE_CONFIG_BACKUP_PROVIDER      = "Other"
        RCLONE_CONFIG_BACKUP_ENDPOINT      = var.backup_endpoint
      }

      template {
        destination = "secrets/keys.env"
        env         = true
        data        = <<-EOT
          {{- with nomadVar "nomad/jobs/imgr-backup" }}
          RCLONE_CONFIG_LIVE_ACCESS_KEY_ID={{ .live_access_key_id }}
          RCLONE_CONFIG_LIVE_SECRET_ACCESS_KEY={{ .live_secret_access_key }}
          RCLONE_CONFIG_BACKUP_ACCESS_KEY_ID={{ .backup_access_key_id }}
          RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY={{ .backup_secret_access_key }}
          {{- end }}
          {{- range service "imgr-pushgateway" }}
          IMGR_PUSHGATEWAY_URL=http://{{ .Address }}:{{ .Port }}
          {{- end }}
        EOT
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
