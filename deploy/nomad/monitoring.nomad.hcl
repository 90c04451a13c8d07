# Monitoring of imgr: Prometheus (targets from Consul, imgr's alert rules), a Pushgateway for the
# sweep's batch results, and Grafana with the provisioned dashboards.
#
#   nomad job run -var floating_ip=172.16.3.X deploy/nomad/monitoring.nomad.hcl   # from the repository root
#
# The configuration files are read from deploy/monitoring/ by file() when the job is submitted (paths
# relative to the directory `nomad job run` runs in): the same files as the compose stack, so there is
# one copy of the rules and dashboards. node_exporter runs as its own system job (node-exporter.nomad.hcl).
# Grafana's admin password lives in the Nomad Variable nomad/jobs/monitoring (key grafana_admin_password).
#
# Everything listens on the private network only (the Nomad client's network_interface, vxlan100):
# reach the UIs through an SSH tunnel via the bastion, e.g. ssh -L 3000:<vm>:<port>.
#
# Docs: https://developer.hashicorp.com/nomad/docs/job-specification

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}

variable "floating_ip" {
  type        = string
  description = "The team's floating IP (172.16.3.X): scraped to tell whether anyone holds it."
}

variable "nomad_tls_ca_file" {
  type        = string
  default     = ""
  description = "On every VM, the CA of Nomad's HTTPS API (the nomad_client role writes /etc/nomad.d/tls/ca.pem); empty while the agents serve plain HTTP."
}

variable "nomad_tls_server_name" {
  type        = string
  default     = "client.global.nomad"
  description = "Name in the agents' certificates (client.<region>.nomad): they name no vxlan100 address."
}

variable "prometheus_image" {
  type    = string
  default = "prom/prometheus:v3.5.0"
}

variable "pushgateway_image" {
  type    = string
  default = "prom/pushgateway:v1.11.1"
}

variable "grafana_image" {
  type    = string
  default = "grafana/grafana:12.1.1"
}

job "monitoring" {
  datacenters = var.datacenters
  type        = "service"

  update {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "3m"
    auto_revert      = true
  }

  # ------------------------------------------------------------------ Prometheus
  group "prometheus" {
    # One instance: two would alert twice (no Alertmanager deduplication here) for little gain on
    # two VMs; Nomad moves it when its node goes away, and the sticky disk keeps recent history.
    count = 1

    network {
      port "http" {}
    }

    # /alloc/data survives restarts and moves (migrate) of the allocation, so history is kept.
    ephemeral_disk {
      size    = 3000
      sticky  = true
      migrate = true
    }

    service {
      name = "imgr-prometheus"
      port = "http"
      check {
        type     = "http"
        path     = "/-/ready"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "prometheus" {
      driver = "docker"

      config {
        image = var.prometheus_image
        # The host network: the Consul agent listens on 127.0.0.1:8500 only, and the floating IP and
        # every node are reachable as they are from the VMs.
        network_mode = "host"
        # The CA of the agents' HTTPS API, when they serve one, read-only where the scrape config expects it.
        volumes = var.nomad_tls_ca_file == "" ? [] : ["${var.nomad_tls_ca_file}:/etc/nomad-ca.pem:ro"]
        args = [
          "--config.file=/local/prometheus.yml",
          "--storage.tsdb.path=/alloc/data/prometheus",
          # Whichever comes first: 15 days, or 2 GB of the 3 GB disk above.
          "--storage.tsdb.retention.time=15d",
          "--storage.tsdb.retention.size=2GB",
          # Bound to the vxlan100 address Nomad allocated, not to every interface.
          "--web.listen-address=${NOMAD_ADDR_http}",
          # Config and rules re-read on SIGHUP (the templates below send it).
          "--web.enable-lifecycle",
        ]
      }

      meta {
        floating_ip = var.floating_ip
        # Read by prometheus.nomad.yml: "" scrapes the Nomad agents over plain HTTP.
        nomad_tls_server_name = var.nomad_tls_ca_file == "" ? "" : var.nomad_tls_server_name
      }

      template {
        destination = "local/prometheus.yml"
        # Prometheus' own {{ }} must reach it untouched.
        left_delimiter  = "[["
        right_delimiter = "]]"
        data            = file("deploy/monitoring/prometheus/prometheus.nomad.yml")
        change_mode     = "signal"
        change_signal   = "SIGHUP"
      }

      template {
        destination     = "local/rules/imgr.rules.yml"
        left_delimiter  = "[["
        right_delimiter = "]]"
        data            = file("deploy/monitoring/prometheus/rules/imgr.rules.yml")
        change_mode     = "signal"
        change_signal   = "SIGHUP"
      }

      resources {
        cpu    = 200
        memory = 512
      }
    }
  }

  # ------------------------------------------------------------------ Pushgateway
  group "pushgateway" {
    count = 1

    network {
      port "http" {}
    }

    service {
      name = "imgr-pushgateway"
      port = "http"
      check {
        type     = "http"
        path     = "/-/ready"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "pushgateway" {
      driver = "docker"

      config {
        image        = var.pushgateway_image
        network_mode = "host"
        args         = ["--web.listen-address=${NOMAD_ADDR_http}"]
      }

      resources {
        cpu    = 50
        memory = 64
      }
    }
  }

  # ------------------------------------------------------------------ Grafana
  group "grafana" {
    count = 1

    network {
      port "http" {}
    }

    service {
      name = "imgr-grafana"
      port = "http"
      check {
        type     = "http"
        path     = "/api/health"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "grafana" {
      driver = "docker"

      config {
        image        = var.grafana_image
        network_mode = "host"
        # Provisioning (datasource, dashboard provider) and the dashboards, rendered below.
        volumes = [
          "local/provisioning:/etc/grafana/provisioning",
          "local/dashboards:/etc/grafana/dashboards",
        ]
      }

      env {
        GF_SERVER_HTTP_ADDR = "${NOMAD_IP_http}"
        GF_SERVER_HTTP_PORT = "${NOMAD_PORT_http}"
        # Dashboards are provisioned: no sign-up, anonymous users may only look.
        GF_USERS_ALLOW_SIGN_UP         = "false"
        GF_AUTH_ANONYMOUS_ENABLED      = "true"
        GF_AUTH_ANONYMOUS_ORG_ROLE     = "Viewer"
        GF_ANALYTICS_REPORTING_ENABLED = "false"
        GF_ANALYTICS_CHECK_FOR_UPDATES = "false"
      }

      # Prometheus' address from Consul, and the admin password from the Nomad Variable.
      template {
        destination = "secrets/grafana.env"
        env         = true
        data        = <<-EOT
          {{- range service "imgr-prometheus" }}
          PROMETHEUS_URL=http://{{ .Address }}:{{ .Port }}
          {{- end }}
          {{- with nomadVar "nomad/jobs/monitoring" }}
          GF_SECURITY_ADMIN_PASSWORD={{ .grafana_admin_password }}
          {{- end }}
        EOT
        change_mode = "restart"
      }

      template {
        destination     = "local/provisioning/datasources/prometheus.yml"
        left_delimiter  = "[["
        right_delimiter = "]]"
        data            = file("deploy/monitoring/grafana/provisioning/datasources/prometheus.yml")
      }

      template {
        destination     = "local/provisioning/dashboards/imgr.yml"
        left_delimiter  = "[["
        right_delimiter = "]]"
        data            = file("deploy/monitoring/grafana/provisioning/dashboards/imgr.yml")
      }

      template {
        destination = "local/dashboards/imgr.json"
        # The dashboard's legends use {{ }}; nothing in it may be read as a template.
        left_delimiter  = "[[%"
        right_delimiter = "%]]"
        data            = file("deploy/monitoring/grafana/dashboards/imgr.json")
      }

      resources {
        cpu    = 100
        memory = 256
      }
    }
  }
}
