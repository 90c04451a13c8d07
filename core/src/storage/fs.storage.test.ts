import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '../errors.js';
import { createFsStorage } from './fs.storage.js';
import { testStorage } from './storage.contract.js';

testStorage('filesystem', () => createFsStorage({ root: mkdtempSync(join(tmpdir(), 'imgr-fs-')) }));

describe('filesystem storage', () => {
  it.each(['../escape/AbCd1234', 'original/../../etc/passwd', '/etc/passwd', 'original/a/b'])('refuses the key %s', async (key) => {
    const store = createFsStorage({ root: mkdtempSync(join(tmpdir(), 'imgr-fs-')) });
    await expect(store.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(DependencyError);
    await expect(store.head(key)).rejects.toThrow(/invalid key/);
  });

  it('leaves no temporary file behind after a put', async () => {
    const root = mkdtempSync(join(tmpdir(), 'imgr-fs-'));
    const store = createFsStorage({ root });
    await store.put('original/AbCd1234', Buffer.from('x'), { contentType: 'image/png' });
    expect(readdirSync(join(root, 'original')).sort()).toEqual(['AbCd1234', 'AbCd1234.meta.json']);
  });
});
