#!/usr/bin/env node
// Renders the ingress HAProxy template of deploy/nomad/ingress.nomad.hcl with static servers
// instead of Consul services, so the exact production config can be checked (`haproxy -c`) and run
// in tests or on one machine.
//
//   node deploy/ingress/render-static.mjs --api 10.0.0.1:8080,10.0.0.2:8080 --web 10.0.0.1:8081 > haproxy.cfg
//
// Only the template constructs the job uses are understood: `{{- range service "live.<name>" }}`
// ... `{{- end }}` with `.Node`, `.Address`, `.Port`, `.ID` inside. Anything else is an error, so a
// new construct in the job cannot slip past the tests unrendered.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const defaultJob = join(here, '..', 'nomad', 'ingress.nomad.hcl');

/** Extracts the `data = <<-HAPROXY ... HAPROXY` heredoc and removes its common indentation. */
export function extractTemplate(jobText) {
  const match = jobText.match(/data\s*=\s*<<-HAPROXY\n([\s\S]*?)\n\s*HAPROXY\n/);
  if (!match) throw new Error('ingress job: no `data = <<-HAPROXY` heredoc found');
  const lines = match[1].split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.match(/^ */)[0].length));
  const text = `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
  if (/\$\{|%\{/.test(text)) throw new Error('ingress template: HCL interpolation found; keep the HAProxy config free of ${ and %{');
  return text;
}

/** Parses "host:port,host:port" into server records. */
export function parseServers(list, service) {
  if (!list) return [];
  return list.split(',').map((entry, i) => {
    const m = entry.trim().match(/^([^:]+):(\d+)$/);
    if (!m) throw new Error(`--${service}: expected host:port, got "${entry}"`);
    return { Node: `static${i + 1}`, Address: m[1], Port: m[2], ID: `${service}-${i + 1}` };
  });
}

/** Applies consul-template's whitespace trimming and the `range service` blocks. */
export function render(template, servicesByName) {
  const trimmed = template.replace(/[ \t\r\n]*\{\{-/g, '{{').replace(/-\}\}[ \t\r\n]*/g, '}}');
  const out = trimmed.replace(/\{\{ range service "([^"]+)" \}\}([\s\S]*?)\{\{ end \}\}/g, (_, query, body) => {
    const name = query.includes('.') ? query.slice(query.indexOf('.') + 1) : query;
    const instances = servicesByName[name] ?? [];
    return instances
      .map((inst) =>
        body.replace(/\{\{ \.(\w+) \}\}/g, (__, field) => {
          if (!(field in inst)) throw new Error(`ingress template: unknown field .${field}`);
          return inst[field];
        }),
      )
      .join('');
  });
  const left = out.match(/\{\{[^}]*\}\}/);
  if (left) throw new Error(`ingress template: construct not supported by the static renderer: ${left[0]}`);
  return out;
}

function main() {
  const { values } = parseArgs({
    options: {
      job: { type: 'string', default: defaultJob },
      api: { type: 'string', default: '' },
      web: { type: 'string', default: '' },
    },
  });
  const template = extractTemplate(readFileSync(values.job, 'utf8'));
  process.stdout.write(
    render(template, {
      'imgr-api': parseServers(values.api, 'api'),
      'imgr-web': parseServers(values.web, 'web'),
    }),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
