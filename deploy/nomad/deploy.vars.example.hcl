# Deploy inputs of one imgr deployment: every non-secret setting, in one file, read unchanged by both
# deploy paths (deploy/scripts/nomad-deploy.sh in CI/CD, deploy/ansible/playbooks/deploy.yml):
#
#   cp deploy/nomad/deploy.vars.example.hcl deploy/nomad/deploy.vars.hcl   # edit, then commit it
#   nomad job run -var-file=deploy/nomad/deploy.vars.hcl -var image_tag=<git sha> deploy/nomad/imgr.nomad.hcl
#
# This example cannot be deployed: every CHANGE-ME value fails the render with the input's name.
# Secrets (S3 keys, broker URL) never go here: they are in the Ansible vault and, from there, in the
# Nomad Variables nomad/jobs/imgr and nomad/jobs/imgr-sweep (playbooks/nomad-variables.yml).

# The provider's Nomad datacenter of the two VMs.
datacenters = ["CHANGE-ME"]

# The team's public URL (tunnel to the floating IP's :8081); the CI deploy smoke-tests through it.
public_url = "CHANGE-ME"

# Where the pipeline pushes the images: ghcr.io/<owner, lower case> (GitHub) or $CI_REGISTRY_IMAGE
# (GitLab, e.g. registry.gitlab.com/<group>/<project>). Private packages need the registry login
# on the nodes (deploy/README.md, "Registry access").
image_registry = "CHANGE-ME"

# The provider's S3 (the keys are in the vault).
s3_endpoint_url = "CHANGE-ME"
s3_bucket_name  = "CHANGE-ME"
aws_region_name = "us-east-1"

# Instances per group; two VMs: two of each, one per VM.
api_count    = 2
worker_count = 2
web_count    = 2
