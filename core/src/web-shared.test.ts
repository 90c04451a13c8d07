import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The web page imports these from their source, and its image build copies only them from core
// (deploy/docker/web.Dockerfile): an import would pull the rest of core, or break that build.
const SHARED_WITH_THE_PAGE = ['variants.ts', 'limiter.ts'];

describe('modules shared with the web page', () => {
  it.each(SHARED_WITH_THE_PAGE)('%s imports nothing', (name) => {
    const source = readFileSync(new URL(name, import.meta.url), 'utf8');
    expect(source).not.toMatch(/^\s*(import|export)\b[^;]*\bfrom\s+['"]/m);
    expect(source).not.toMatch(/\bimport\(/);
  });
});
