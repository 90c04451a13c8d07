import { describe, expect, it } from 'vitest';
import { apiBase, apiUrl } from './endpoint.ts';

const page = 'https://img.example.org/index.html';

describe('apiBase', () => {
  it('keeps an absolute endpoint with its trailing slash', () => {
    expect(apiBase('http://host:8080/', page)).toBe('http://host:8080/');
  });

  it('adds the trailing slash an operator forgot', () => {
    expect(apiBase('http://host:8080', page)).toBe('http://host:8080/');
    expect(apiBase('http://host:8080/api', page)).toBe('http://host:8080/api/');
  });

  it('resolves a same-origin endpoint against the page', () => {
    expect(apiBase('/', page)).toBe('https://img.example.org/');
    expect(apiBase('/api/', page)).toBe('https://img.example.org/api/');
    expect(apiBase('', page)).toBe('https://img.example.org/');
  });
});

describe('apiUrl', () => {
  it('joins API paths for both endpoint styles', () => {
    expect(apiUrl(apiBase('http://host:8080/', page), 'image')).toBe('http://host:8080/image');
    expect(apiUrl(apiBase('/', page), 'image')).toBe('https://img.example.org/image');
  });

  it("reads the server's root-relative links as relative to the API root", () => {
    expect(apiUrl('http://host:8080/', '/image/AbCd1234/big')).toBe('http://host:8080/image/AbCd1234/big');
    expect(apiUrl('https://img.example.org/api/', '/image/AbCd1234')).toBe('https://img.example.org/api/image/AbCd1234');
  });

  it('keeps absolute links from the server', () => {
    expect(apiUrl('http://host:8080/', 'https://cdn.example.org/image/x')).toBe('https://cdn.example.org/image/x');
  });
});
