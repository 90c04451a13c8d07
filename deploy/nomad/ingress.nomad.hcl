# imgr ingress: HAProxy on every client node (system job).
#
#   nomad job run -var-file=deploy/nomad/deploy.vars.hcl deploy/nomad/ingress.nomad.hcl
#
# Listens on the host network:
#   :8080  the VM's own tunnel (https://<vm>.<domain>/)
#   :8081  the floating IP's tunnel (https://<team>.<domain>/); bound on every address so the
#          listener already exists when keepalived moves the floating IP to this VM
#   :8404  /ingress/health (keepalived's chk_ingress and the Consul check) and /stats; not tunnelled
#
# Why HAProxy (rather than Traefik or nginx):
#   - active health checks in the free version (nginx OSS only has passive ones): an API whose
#     /health/ready turns 503 (SIGTERM drain, broker down) leaves the pool within ~4 s even before
#     Consul notices;
#   - hitless reloads: in master-worker mode SIGUSR2 starts new workers that take over the listening
#     sockets while the old ones finish their connections (measured by tests/deploy: 0 failed requests
#     across reloads);
#   - the routing rule needs the Accept header (`GET /` from a browser goes to the page, anything else
#     to the JSON index): a one-line ACL;
#   - it is packaged by Debian, so CI runs the very same config (`haproxy -c` and the two-node
#     failover simulation) without a registry; Traefik is not.
#
# Backends come from Consul through the template below (consul-template syntax). Only instances tagged
# "live" are rendered: an unpromoted canary carries canary_tags = ["canary"] instead, so it gets no
# user traffic. deploy/ingress/render-static.mjs renders the same template with static servers for tests.

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

variable "haproxy_image" {
  type = string
  # Exact version: an ingress must not change under our feet on a node reboot.
  default = "haproxy:2.8.10-alpine"
}

job "imgr-ingress" {
  datacenters = var.datacenters
  # One instance per eligible client node: each VM's :8080 tunnel needs a local ingress, and
  # keepalived can move the floating IP to either VM.
  type = "system"

  # System jobs roll node by node. The instance on the floating-IP holder is replaced like the
  # others: its service is deregistered first (shutdown_delay), chk_ingress sees that and keepalived
  # moves the floating IP before HAProxy stops listening. The VM's own :8080 tunnel does see a gap:
  # the new instance can only bind once the old one has stopped (measured on a dev agent: ~1 s of
  # refused connections). Backend changes never need this: they are hitless reloads.
  update {
    max_parallel     = 1
    min_healthy_time = "10s"
    healthy_deadline = "2m"
    stagger          = "15s"
  }

  group "haproxy" {
    network {
      # The host's network stack: binds the public ports directly (no Docker NAT on the hot path,
      # real client addresses in the logs) and reaches the backends on vxlan100.
      mode = "host"
      port "http" {
        static = 8080
      }
      port "floating" {
        static = 8081
      }
      port "monitor" {
        static = 8404
      }
    }

    restart {
      # The ingress is node-local: there is nowhere to reschedule it, so keep restarting it here
      # (keepalived has already moved the floating IP away while it is down).
      attempts = 10
      interval = "5m"
      delay    = "2s"
      mode     = "delay"
    }

    service {
      name = "imgr-ingress"
      port = "http"

      check {
        name     = "monitor"
        type     = "http"
        port     = "monitor"
        path     = "/ingress/health"
        interval = "5s"
        timeout  = "2s"

        check_restart {
          limit = 3
          grace = "10s"
        }
      }
    }

    task "haproxy" {
      driver = "docker"

      config {
        image        = var.haproxy_image
        network_mode = "host"
        # -W master-worker (reload on SIGUSR2, soft-stop on SIGUSR1), -db stay in the foreground.
        command = "haproxy"
        args    = ["-W", "-db", "-f", "/local/haproxy.cfg"]
      }

      template {
        destination = "local/haproxy.cfg"
        # Backends changed (instance added, promoted, drained): reload without dropping a
        # connection instead of restarting. SIGUSR2 to HAProxy's master (PID 1) from a script, not
        # change_mode "signal": a signal Nomad cannot deliver (the container has just exited, e.g.
        # after a reboot) kills the task for good, and a system job's failed allocation is never
        # replaced: the node kept no ingress (seen in the lab). A failed script is only logged, and
        # the restart policy brings the container back with the new file.
        change_mode = "script"
        change_script {
          command       = "/bin/sh"
          args          = ["-c", "kill -USR2 1"]
          timeout       = "5s"
          fail_on_error = false
        }
        # Batch a burst of catalog changes (a roll-out) into few reloads, but never hold a change back
        # more than 2 s: an instance that Nomad is stopping is deregistered, then gets SIGTERM after
        # its shutdown_delay (5 s for the API). Measured on a dev agent: with max = 5s, the render
        # after a promotion came 6 s late and ~0.5 s of requests got 503 from stopping instances.
        wait {
          min = "500ms"
          max = "2s"
        }
        data = <<-HAPROXY
          # Rendered by Nomad from Consul (deploy/nomad/ingress.nomad.hcl). Do not edit on a node.
          global
            log stdout format raw local0 info
            # Two descriptors per proxied connection: 4096 fits the default 20k-65k open-file limits
            # of containers and systemd units with room to spare; far above a two-VM team's load.
            maxconn 4096
            # Old workers still serving long uploads after a reload are stopped after this long.
            hard-stop-after 90s

          defaults
            mode http
            log global
            option httplog
            option dontlognull
            option forwardfor
            # A request whose connection cannot be made (instance just died), that got no answer at
            # all (instance killed mid-request) or a 503 (instance stopping, or busy) is retried on
            # another server, when HAProxy still holds the whole request (GETs, small uploads). A
            # replayed upload can at worst store a second copy, never lose one; a 503 means "not
            # accepted" in the API contract.
            retries 2
            option redispatch 1
            retry-on conn-failure empty-response 503
            # Backends are on the private L2 network (sub-millisecond RTT): a connect that takes 500 ms
            # means a dead or overloaded instance, and the request is better redispatched at once.
            # Measured in the failover simulation: with 2 s, a VM crash cost 3.4 s to the first requests.
            timeout connect 500ms
            # Uploads are up to 25 MiB over slow links.
            timeout client 60s
            timeout server 60s
            # Slowloris guard: a request's headers must arrive within this.
            timeout http-request 15s
            timeout http-keep-alive 10s
            timeout queue 10s
            timeout check 2s
            # Active checks: 2 failures at 1 s remove a server, 2 successes bring it back. Requests in
            # flight on a removed server finish (a draining API completes its uploads). A failed
            # connection from live traffic removes the server at once (observe layer4): after a VM
            # crash only the first request pays the connect timeout, the next ones go elsewhere.
            default-server inter 1s fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down

          frontend public
            bind :8080
            bind :8081
            # Per-source guard: one address may hold at most 200 of the 4096 connections (maxconn),
            # so a client opening sockets and trickling cannot fill the ingress for everyone. The
            # bound is loose on purpose: if the provider's tunnel presents one address for all its
            # clients, this is a bound on all of them together. Request rates are limited per client
            # by the API, which reads X-Forwarded-For (docs/operations.md, "Abuse limits").
            stick-table type ip size 100k expire 60s store conn_cur
            http-request track-sc0 src
            http-request deny deny_status 429 content-type application/json string '{"error":"rate-limited","message":"Too many connections from this client; retry shortly."}' hdr Retry-After 10 if { sc_conn_cur(0) gt 200 }
            http-request set-header X-Forwarded-Proto https if { hdr(x-forwarded-proto) https }
            # Prometheus metrics stay on the private network (scraped from the instances).
            acl metrics path /metrics
            acl metrics path_beg /metrics/
            http-request return status 404 content-type application/json string '{"error":"not found"}' if metrics
            # The routing rule (same in every imgr ingress): /image, /image/*, /health* go to the API;
            # GET / from a non-browser (Accept without text/html) gets the API's JSON index; the rest
            # is the web page.
            acl api_path path /image
            acl api_path path_beg /image/ /health
            acl root path /
            acl wants_html req.hdr(accept) -m sub -i text/html
            use_backend api if api_path
            use_backend api if root METH_GET !wants_html
            default_backend web

          frontend monitor
            bind :8404
            # 200 while this HAProxy runs with a loaded config; keepalived's chk_ingress polls it.
            monitor-uri /ingress/health
            stats enable
            stats uri /stats
            stats refresh 10s
            http-request deny unless { path /ingress/health } || { path_beg /stats }
            # The statistics (read-only: no "stats admin") list every backend address: only from this
            # host and the private network, never through a tunnel or the default-route interface.
            http-request deny if { path_beg /stats } !{ src 127.0.0.0/8 172.16.0.0/16 }

          frontend prometheus
            # HAProxy's built-in exporter (Debian's 2.6 is built with it): Prometheus scrapes every
            # ingress here, and the floating IP too, so the job "floating-ip" tells which node holds it.
            # Cluster network and this host only, like the statistics: it lists every backend address.
            bind :8405
            http-request deny unless { src 127.0.0.0/8 172.16.0.0/16 }
            http-request use-service prometheus-exporter if { path /metrics }
            http-request return status 404 content-type text/plain string "not found\n"
            # Scrapes every 15 s from each Prometheus would drown the access log.
            no log

          backend api
            # Uploads are long requests: send new ones to the least busy instance.
            balance leastconn
            # Hold each request here until its body fills a buffer (16 KiB) or has fully arrived,
            # within `timeout http-request`: a client that sends headers and then trickles never
            # reaches an API upload slot (it gets 408 from HAProxy after 15 s). Real uploads pass
            # after their first 16 KiB. The API's minimum body rate covers the rest of the body.
            option http-buffer-request
            option httpchk
            http-check send meth GET uri /health/ready
            http-check expect status 200
          {{- range service "live.imgr-api" }}
            server {{ .Node }}-{{ .Port }} {{ .Address }}:{{ .Port }} check
          {{- end }}

          backend web
            balance roundrobin
            option httpchk
            http-check send meth GET uri /config.json
            http-check expect status 200
          {{- range service "live.imgr-web" }}
            server {{ .Node }}-{{ .Port }} {{ .Address }}:{{ .Port }} check
          {{- end }}
        HAPROXY
      }

      # Nomad deregisters imgr-ingress from Consul, then waits: keepalived's chk_ingress treats a
      # deregistered local ingress as failed and moves the floating IP within 2-3 s (fall 2 at 1 s,
      # measured on a dev agent: HAProxy up with the service gone for the whole delay), before
      # HAProxy stops listening.
      shutdown_delay = "5s"
      # Soft stop: close the listeners, let open connections (uploads) finish.
      kill_signal  = "SIGUSR1"
      kill_timeout = "60s"

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
