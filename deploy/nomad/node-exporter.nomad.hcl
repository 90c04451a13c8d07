# node_exporter on every client (a system job): host CPU, memory, disk and network, and the
# textfile collector, through which keepalived's notify script reports whether this VM holds the
# floating IP (imgr_floating_ip_held, read by the FloatingIpMoved alert).
#
#   nomad job run deploy/nomad/node-exporter.nomad.hcl
#
# Docs: https://developer.hashicorp.com/nomad/docs/schedulers#system

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}

variable "node_exporter_image" {
  type    = string
  default = "prom/node-exporter:v1.9.1"
}

variable "textfile_dir" {
  type = string
  # Written by the keepalived role's notify script.
  default = "/var/lib/node_exporter/textfile"
}

job "node-exporter" {
  datacenters = var.datacenters
  # One allocation per client node, placed on new nodes as they join.
  type = "system"

  group "node-exporter" {
    network {
      # A fixed port: one instance per node, always the same address to scrape.
      port "http" {
        static = 9100
      }
    }

    service {
      name = "node-exporter"
      port = "http"
      check {
        type     = "http"
        path     = "/metrics"
        interval = "30s"
        timeout  = "3s"
      }
    }

    task "node-exporter" {
      driver = "docker"

      config {
        image        = var.node_exporter_image
        network_mode = "host"
        pid_mode     = "host"
        # The host's root, read-only, for the filesystem and process collectors.
        volumes = ["/:/host:ro,rslave"]
        args = [
          "--path.rootfs=/host",
          "--collector.textfile.directory=/host${var.textfile_dir}",
          # Only the private network: node metrics say a lot about the machine.
          "--web.listen-address=${NOMAD_ADDR_http}",
        ]
      }

      resources {
        cpu    = 50
        memory = 64
      }
    }
  }
}
